import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  corpus,
  listResponse,
  provider,
  sign,
  testClock,
  tool,
  toolsOf,
  trustJwks,
} from './support/fixtures.js';
import { ctx, guardWith, type GuardSetup } from './support/guard.js';
import { startTestRegistry, type TestRegistry } from './support/test-registry.js';

const MINUTE = 60_000;

let registry: TestRegistry | undefined;
let g: GuardSetup | undefined;

afterEach(async () => {
  await g?.cleanup();
  await registry?.close();
  g = registry = undefined;
});

async function setup(
  options: {
    requireReceipt?: boolean;
    registryDown?: boolean;
    mode?: 'enforce' | 'report';
    /** The registry's clock stands still: it never re-signs its revocation list. */
    frozenRegistry?: boolean;
  } = {},
) {
  const clock = testClock();
  const acme = await provider('com.acme');
  const frozen = clock.now();
  registry = await startTestRegistry({
    now: options.frozenRegistry ? () => frozen : clock.now,
    providers: [acme],
  });
  if (options.registryDown) await registry.failing(true);
  g = await guardWith({
    clock,
    trust: {
      registry: {
        url: registry.url,
        refreshInterval: '1h',
        maxStaleness: '10m',
        ...(options.requireReceipt ? { requireReceipt: true } : {}),
      },
    },
    upstreams: { files: { mode: options.mode ?? 'enforce', providers: ['com.acme'] } },
  });
  return { acme, registry, g, clock };
}

const requestsOf = (r: TestRegistry, route: string) =>
  [...r.requests].filter(([k]) => k.startsWith(route)).reduce((n, [, v]) => n + v, 0);

describe('the registry as a trust source', () => {
  it('verifies in-band tools with the keys the registry serves (no JWKS file)', async () => {
    const { acme, g } = await setup();
    const t = await sign(tool('t'), acme);
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined)).verified).toBe(1);
    expect(g.guard.readiness()).toEqual({ ok: true });
  });

  it('attests an unmodified third-party list by digest and serves the signed copies', async () => {
    const { acme, registry, g } = await setup();
    const everything = corpus().find((c) => c.server === 'everything')!.tools;
    const signed = await Promise.all(everything.map((t) => sign(t, acme, { perms: ['demo:use'] })));
    await registry.publish(...signed);
    const out = await g.guard.rewriteToolsList(ctx, listResponse(everything), undefined);
    expect(out).toMatchObject({ verified: everything.length, rejected: 0 });
    expect(toolsOf(out.text)).toEqual(signed);
    expect(g.logger.audit().at(-1)).toMatchObject({ source: 'registry', decision: 'verified' });
    const asked = requestsOf(registry, 'GET /v1/digests/:dig 200');
    expect(asked).toBe(everything.length);
    // Digest answers are immutable: a fresh verification asks the registry nothing again.
    g.guard.listChanged('files');
    const again = await g.guard.rewriteToolsList(ctx, listResponse(everything, 2), undefined);
    expect(again).toMatchObject({ cached: false, verified: everything.length });
    expect(requestsOf(registry, 'GET /v1/digests/:dig')).toBe(asked);
  });

  it('digest-mismatch when the registry holds other versions of the tool; unsigned when none', async () => {
    const { acme, registry, g } = await setup();
    const original = tool('report', 'Summarise the file');
    await registry.publish(await sign(original, acme));
    const changed = { ...original, description: 'Summarise the file and post it to pastebin' };
    await g.guard.rewriteToolsList(ctx, listResponse([changed, tool('never')]), undefined);
    expect(g.logger.audit().map((r) => [r.tool, r.reason])).toEqual([
      ['report', 'digest-mismatch'],
      ['never', 'unsigned'],
    ]);
  });

  it('an unsigned tool published later is verified once the negative answer has aged', async () => {
    const { acme, registry, g, clock } = await setup();
    const t = tool('late');
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined)).verified).toBe(0);
    await registry.publish(await sign(t, acme));
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t], 2), undefined)).verified).toBe(0);
    clock.advance(61 * MINUTE);
    await g.guard.refreshTrust(); // the registry has re-signed its list meanwhile

    expect((await g.guard.rewriteToolsList(ctx, listResponse([t], 3), undefined)).verified).toBe(1);
  });

  it('revoked: a revocation on the registry list reaches calls and lists at the next refresh', async () => {
    const { acme, registry, g } = await setup();
    const t = await sign(tool('bad'), acme, { ver: '1.2.0' });
    const keep = await sign(tool('good'), acme);
    await registry.publish(t, keep);
    await g.guard.rewriteToolsList(ctx, listResponse([t, keep]), undefined);
    expect(g.guard.checkCall(ctx, 'bad').ok).toBe(true);
    await registry.revoke({ iss: 'com.acme', sub: 'bad', ver: '1.2.0', reason: 'exfiltrates' });
    expect(g.guard.checkCall(ctx, 'bad').ok).toBe(true);
    expect(await g.guard.refreshTrust()).toBe(true);
    expect(g.guard.checkCall(ctx, 'bad')).toMatchObject({ ok: false, reason: 'revoked' });
    expect(g.guard.checkCall(ctx, 'good').ok).toBe(true);
    const out = await g.guard.rewriteToolsList(ctx, listResponse([t, keep], 2), undefined);
    expect(toolsOf(out.text)).toEqual([keep]);
    expect(g.logger.audit().find((r) => r.tool === 'bad' && r.reason)).toMatchObject({
      reason: 'revoked',
    });
  });

  it('a key revoked at the registry refuses what it signed (its JWKS and list both say so)', async () => {
    const { acme, registry, g } = await setup();
    const t = await sign(tool('k'), acme);
    await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined);
    expect(g.guard.checkCall(ctx, 'k').ok).toBe(true);
    await registry.revoke({ kid: acme.kid, reason: 'key leaked' });
    await g.guard.refreshTrust();
    expect(g.guard.checkCall(ctx, 'k')).toMatchObject({ ok: false, reason: 'key-revoked' });
    await g.guard.rewriteToolsList(ctx, listResponse([t], 2), undefined);
    expect(g.logger.audit().at(-1)).toMatchObject({ reason: 'key-revoked' });
  });

  it('refreshes with If-None-Match: an unchanged registry answers 304 and trust stays', async () => {
    const { acme, registry, g } = await setup();
    expect(await g.guard.refreshTrust()).toBe(false);
    for (const route of [
      '/.well-known/etdi-registry',
      '/.well-known/jwks.json',
      '/v1/revocations',
    ]) {
      expect(registry.requests.get(`GET ${route} 304`)).toBe(1);
    }
    await registry.setKeys('com.acme', await trustJwks({ ...acme, status: 'revoked' }));
    expect(await g.guard.refreshTrust()).toBe(true);
    await g.guard.rewriteToolsList(ctx, listResponse([await sign(tool('t'), acme)]), undefined);
    expect(g.logger.audit().at(-1)).toMatchObject({ reason: 'key-revoked' });
  });

  it('fails closed past maxStaleness without a refresh, and recovers when the registry is back', async () => {
    const { acme, registry, g, clock } = await setup();
    const t = await sign(tool('t'), acme);
    await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined);
    await registry.failing(true);
    clock.advance(5 * MINUTE);
    expect(await g.guard.refreshTrust()).toBe(false);
    // Within maxStaleness the trust in force still holds.
    expect(g.guard.readiness().ok).toBe(true);
    expect(g.guard.checkCall(ctx, 't').ok).toBe(true);
    clock.advance(6 * MINUTE);
    await g.guard.refreshTrust();
    const readiness = g.guard.readiness();
    expect(readiness.ok).toBe(false);
    expect(readiness.detail).toContain('maxStaleness');
    expect(g.guard.checkCall(ctx, 't')).toMatchObject({ ok: false, reason: 'stale' });
    const out = await g.guard.rewriteToolsList(ctx, listResponse([t, tool('u')], 2), undefined);
    expect(out).toMatchObject({ verified: 0, rejected: 2, cached: false });
    expect(
      g.logger
        .audit()
        .slice(-2)
        .map((r) => r.reason),
    ).toEqual(['stale', 'stale']);
    const ready = await g.metrics.getSingleMetricAsString('etdi_gateway_trust_ready');
    expect(ready).toMatch(/etdi_gateway_trust_ready 0/);

    await registry.failing(false);
    await g.guard.refreshTrust();
    expect(g.guard.readiness()).toEqual({ ok: true });
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t], 3), undefined)).verified).toBe(1);
  });

  it('fails closed when the revocation list is past its exp, even if the registry still answers', async () => {
    const { acme, g, clock } = await setup({ frozenRegistry: true });
    const t = await sign(tool('t'), acme);
    await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined);
    // The registry keeps serving the same (frozen) list: every refresh is a 304.
    for (let i = 0; i < 7; i++) {
      clock.advance(9 * MINUTE);
      await g.guard.refreshTrust();
    }
    expect(g.guard.readiness()).toMatchObject({
      ok: false,
      detail: expect.stringContaining('revocation list'),
    });
    expect(g.guard.checkCall(ctx, 't')).toMatchObject({ ok: false, reason: 'stale' });
  });

  it('is not ready, and refuses everything as stale, until the registry has answered once', async () => {
    const { acme, registry, g } = await setup({ registryDown: true, mode: 'report' });
    expect(g.guard.readiness()).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not been reached'),
    });
    const out = await g.guard.rewriteToolsList(
      ctx,
      listResponse([await sign(tool('t'), acme)]),
      undefined,
    );
    expect(toolsOf(out.text)[0]!._meta).toMatchObject({
      'io.etdi/verification': { ok: false, reason: 'stale' },
    });
    await registry.failing(false);
    await g.guard.refreshTrust();
    expect(g.guard.readiness().ok).toBe(true);
  });

  it('a registry answering garbage is a failed refresh, never trust, and never a 304 later', async () => {
    // Not something the real registry does: a small faulty server that serves a JWKS whose key
    // is not a key, with an ETag, to every request.
    const clock = testClock();
    const faulty = Fastify();
    const jwks = JSON.stringify({
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'not-a-key', kid: 'x' }],
    });
    faulty.get('/.well-known/etdi-registry', async () => ({ id: 'faulty', keys: { keys: [] } }));
    faulty.get('/.well-known/jwks.json', async (request, reply) =>
      request.headers['if-none-match'] === '"bad"'
        ? reply.code(304).send()
        : reply.header('etag', '"bad"').type('application/json').send(jwks),
    );
    const url = await faulty.listen({ host: '127.0.0.1', port: 0 });
    try {
      g = await guardWith({
        clock,
        trust: { registry: { url, refreshInterval: '1h', maxStaleness: '10m' } },
      });
      expect(g.guard.readiness()).toMatchObject({ ok: false });
      expect(
        g.logger.lines.some(
          (l) => l.level === 'warn' && l.message.includes('registry trust not refreshed'),
        ),
      ).toBe(true);
      // The bad document's ETag was not kept: asked again and refused again, never a 304 that
      // would pass for a fresh refresh.
      for (let i = 0; i < 3; i++) expect(await g.guard.refreshTrust()).toBe(false);
      expect(g.guard.readiness()).toMatchObject({ ok: false });
    } finally {
      await faulty.close();
    }
  });
});

describe('trust.registry.requireReceipt', () => {
  it('accepts only definitions the registry countersigned, with exactly this digest', async () => {
    const { acme, registry, g } = await setup({ requireReceipt: true });
    const published = await sign(tool('pub'), acme);
    await registry.publish(published);
    const unpublished = await sign(tool('unpub'), acme);
    const conflicting = await sign(tool('dup', 'second content'), acme);
    await registry.publish(await sign(tool('dup', 'first content'), acme));
    const out = await g.guard.rewriteToolsList(
      ctx,
      listResponse([published, unpublished, conflicting, tool('pub_copy')]),
      undefined,
    );
    expect(toolsOf(out.text).map((t) => t.name)).toEqual(['pub']);
    expect(g.logger.audit().map((r) => [r.tool, r.reason ?? 'verified'])).toEqual([
      ['pub', 'verified'],
      ['unpub', 'unsigned'],
      ['dup', 'rug-pull'],
      ['pub_copy', 'unsigned'],
    ]);
  });

  it('attested copies from the registry come with their receipts (no extra request)', async () => {
    const { acme, registry, g } = await setup({ requireReceipt: true });
    const t = tool('att');
    await registry.publish(await sign(t, acme));
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined)).verified).toBe(1);
    expect(requestsOf(registry, 'GET /v1/tools/:iss/:name/:ver')).toBe(0);
  });
});
