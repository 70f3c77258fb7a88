import { MemoryPinStore } from '@etdi/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/admin/admin-routes.js';
import { listResponse, provider, sign, tool, toolsOf, trustJwks } from './support/fixtures.js';
import { ctx, guardWith, type GuardSetup } from './support/guard.js';

let g: GuardSetup | undefined;
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  await g?.cleanup();
  app = g = undefined;
});

async function adminApp(setup: Parameters<typeof guardWith>[0]) {
  g = await guardWith(setup);
  app = Fastify();
  await app.register(adminRoutes, { guard: g.guard, prefix: '/admin' });
  return { g, app };
}

describe('admin API', () => {
  it('GET /admin/tools: every upstream tool with its last decision and reason', async () => {
    const acme = await provider('com.acme');
    const { g, app } = await adminApp({ jwks: await trustJwks(acme) });
    const good = await sign(tool('good'), acme, { perms: ['files:read'] });
    await g.guard.rewriteToolsList(ctx, listResponse([good, tool('bare')]), undefined);
    const res = await app.inject({ method: 'GET', url: '/admin/tools' });
    expect(res.statusCode).toBe(200);
    expect(res.json().tools).toEqual([
      expect.objectContaining({
        upstream: 'files',
        name: 'good',
        decision: 'verified',
        iss: 'com.acme',
        ver: '1.0.0',
        kid: acme.kid,
        perms: ['files:read'],
        source: 'in-band',
        waitingForApproval: false,
      }),
      expect.objectContaining({ name: 'bare', decision: 'rejected', reason: 'unsigned' }),
    ]);
  });

  it('first use under hold: waiting, approved with POST /admin/approvals, shown by the next list', async () => {
    const acme = await provider('com.acme');
    const { g, app } = await adminApp({ jwks: await trustJwks(acme), pins: { firstUse: 'hold' } });
    const t = await sign(tool('held'), acme, { perms: ['files:read'] });
    expect(
      toolsOf((await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined)).text),
    ).toEqual([]);
    expect(g.guard.checkCall(ctx, 'held')).toMatchObject({
      ok: false,
      reason: 'reapproval-required',
    });
    const waiting = await app.inject({ method: 'GET', url: '/admin/approvals' });
    expect(waiting.json().approvals).toEqual([
      expect.objectContaining({
        upstream: 'files',
        iss: 'com.acme',
        name: 'held',
        ver: '1.0.0',
        kind: 'first-use',
        addedScopes: ['files:read'],
      }),
    ]);
    const approve = await app.inject({
      method: 'POST',
      url: '/admin/approvals',
      payload: { upstream: 'files', iss: 'com.acme', name: 'held', ver: '1.0.0' },
    });
    expect(approve.statusCode).toBe(200);
    expect(approve.json().approved).toMatchObject({
      iss: 'com.acme',
      sub: 'held',
      ver: '1.0.0',
      perms: ['files:read'],
    });
    expect((await app.inject({ method: 'GET', url: '/admin/approvals' })).json().approvals).toEqual(
      [],
    );
    const next = await g.guard.rewriteToolsList(ctx, listResponse([t], 2), undefined);
    expect(toolsOf(next.text)).toEqual([t]);
    expect(g.guard.checkCall(ctx, 'held')).toMatchObject({ ok: true, perms: ['files:read'] });
  });

  it('reapproval-required lists the added scopes; approval replaces exactly the pin it saw', async () => {
    const acme = await provider('com.acme');
    const pins = new MemoryPinStore();
    const { g, app } = await adminApp({ jwks: await trustJwks(acme), options: { pinStore: pins } });
    await g.guard.rewriteToolsList(
      ctx,
      listResponse([await sign(tool('w'), acme, { perms: ['a'] })]),
      undefined,
    );
    const v2 = await sign(tool('w', 'v2'), acme, { ver: '2.0.0', perms: ['a', 'b', 'c'] });
    await g.guard.rewriteToolsList(ctx, listResponse([v2]), undefined);
    expect((await app.inject({ method: 'GET', url: '/admin/approvals' })).json().approvals).toEqual(
      [
        expect.objectContaining({
          name: 'w',
          ver: '2.0.0',
          kind: 'added-scopes',
          addedScopes: ['b', 'c'],
          approvedVer: '1.0.0',
        }),
      ],
    );
    const body = { upstream: 'files', iss: 'com.acme', name: 'w', ver: '2.0.0' };
    expect(
      (await app.inject({ method: 'POST', url: '/admin/approvals', payload: body })).statusCode,
    ).toBe(200);
    expect(await pins.get('com.acme', 'w')).toMatchObject({ ver: '2.0.0', perms: ['a', 'b', 'c'] });
    expect(
      toolsOf((await g.guard.rewriteToolsList(ctx, listResponse([v2], 3), undefined)).text),
    ).toEqual([v2]);
  });

  it('409 conflict when the pin changed meanwhile (another node approved something else)', async () => {
    const acme = await provider('com.acme');
    const pins = new MemoryPinStore();
    const { g, app } = await adminApp({
      jwks: await trustJwks(acme),
      pins: { firstUse: 'hold' },
      options: { pinStore: pins },
    });
    await g.guard.rewriteToolsList(ctx, listResponse([await sign(tool('raced'), acme)]), undefined);
    await pins.set({
      iss: 'com.acme',
      sub: 'raced',
      ver: '9.0.0',
      dig: 'z'.repeat(43),
      perms: [],
      approvedAt: new Date(0).toISOString(),
    });
    const res = await app.inject({
      method: 'POST',
      url: '/admin/approvals',
      payload: { upstream: 'files', iss: 'com.acme', name: 'raced', ver: '1.0.0' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 409, code: 'conflict' });
    expect((await pins.get('com.acme', 'raced'))?.ver).toBe('9.0.0');
  });

  it.each([
    [{ upstream: 'files', iss: 'com.acme', name: 'nothing', ver: '1.0.0' }, 404, 'not-found'],
    [{ upstream: 'files', iss: 'com.acme', name: 'x' }, 400, 'invalid-request'],
    [
      { upstream: 'files', iss: 'com.acme', name: 'x', ver: '1.0.0', perms: ['admin'] },
      400,
      'invalid-request',
    ],
    [{ upstream: 'files', iss: 'com.acme', name: 'x', ver: 1 }, 400, 'invalid-request'],
  ])('POST /admin/approvals %j → %i %s', async (payload, status, code) => {
    const acme = await provider('com.acme');
    const { app } = await adminApp({ jwks: await trustJwks(acme) });
    const res = await app.inject({ method: 'POST', url: '/admin/approvals', payload });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ status, code });
  });
});
