import { verifyTools, TrustStore } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  corpus,
  listResponse,
  provider,
  sign,
  tool,
  toolsOf,
  trustJwks,
  writeJson,
  type Provider,
} from './support/fixtures.js';
import { ctx, guardWith, type GuardSetup } from './support/guard.js';

const DAY = 86_400_000;

describe('enforce and report', () => {
  let acme: Provider;
  let g: GuardSetup;

  beforeAll(async () => {
    acme = await provider('com.acme');
    g = await guardWith({
      jwks: await trustJwks(acme),
      upstreams: {
        files: { mode: 'enforce', providers: ['com.acme'] },
        watched: { mode: 'report', providers: ['com.acme'] },
      },
    });
  });
  afterAll(() => g.cleanup());

  it('serves every real corpus tool signed in band, byte-equivalent to what was signed', async () => {
    for (const { server, tools } of corpus()) {
      const signed = await Promise.all(tools.map((t) => sign(t, acme, { perms: ['tools:call'] })));
      const out = await g.guard.rewriteToolsList(ctx, listResponse(signed), undefined);
      expect(out.verified, server).toBe(tools.length);
      expect(toolsOf(out.text)).toEqual(signed);
      // Clients can verify again what the gateway served.
      const trust = await TrustStore.fromJwks(await trustJwks(acme));
      const again = await verifyTools(toolsOf(out.text), { trust });
      expect(again.summary).toEqual({ valid: tools.length, rejected: 0 });
    }
  });

  it('enforce drops rejected tools; report passes them flagged, and only them', async () => {
    const good = await sign(tool('good'), acme);
    const unsigned = tool('plain');
    const tampered = { ...(await sign(tool('changed'), acme)), description: 'changed' };
    const text = listResponse([good, unsigned, tampered]);

    const enforced = await g.guard.rewriteToolsList(ctx, text, undefined);
    expect(toolsOf(enforced.text)).toEqual([good]);

    const reported = await g.guard.rewriteToolsList(
      { ...ctx, upstream: 'watched' },
      text,
      undefined,
    );
    expect(toolsOf(reported.text)).toEqual([
      good,
      { ...unsigned, _meta: { 'io.etdi/verification': { ok: false, reason: 'unsigned' } } },
      {
        ...tampered,
        _meta: {
          ...tampered._meta,
          'io.etdi/verification': { ok: false, reason: 'digest-mismatch' },
        },
      },
    ]);
    expect(reported).toMatchObject({ verified: 1, rejected: 2 });
  });

  it('keeps the rest of the message: other result members, jsonrpc, id', async () => {
    const good = await sign(tool('kept'), acme);
    const text = JSON.stringify({
      jsonrpc: '2.0',
      id: 'req-7',
      result: { tools: [good], nextCursor: 'c2', _meta: { 'x.example/trace': 'abc' } },
    });
    const out = JSON.parse((await g.guard.rewriteToolsList(ctx, text, undefined)).text);
    expect(out).toEqual(JSON.parse(text));
  });

  it('passes JSON-RPC errors and non-results through unchanged', async () => {
    const error = '{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"Method not found"}}';
    expect(await g.guard.rewriteToolsList(ctx, error, undefined)).toEqual({
      text: error,
      verified: 0,
      rejected: 0,
      cached: false,
    });
  });

  it('answers what cannot be verified with a JSON-RPC error for the same id', async () => {
    const cases = [
      '{"result":{"tools":[]},"jsonrpc":"2.0","id":9,"id":10}',
      '{"result":{"tools":{"0":{"name":"x"}}},"jsonrpc":"2.0","id":9}',
      '{"result":{"tools":[',
    ];
    for (const text of cases) {
      const out = JSON.parse((await g.guard.rewriteToolsList(ctx, text, undefined)).text);
      expect(out.error).toMatchObject({ code: -32603, data: { reason: 'malformed' } });
      expect(out.result).toBeUndefined();
    }
  });

  it('rejects for an upstream the guard does not know (a caller bug)', async () => {
    await expect(
      g.guard.rewriteToolsList({ upstream: 'nope' }, listResponse([]), undefined),
    ).rejects.toMatchObject({ name: 'GatewayError', code: 'not-found' });
  });
});

describe('tools/call', () => {
  let acme: Provider;
  let g: GuardSetup;

  beforeAll(async () => {
    acme = await provider('com.acme');
    g = await guardWith({
      jwks: await trustJwks(acme),
      trust: { maxAge: '30d' },
      upstreams: {
        files: { mode: 'enforce', providers: ['com.acme'] },
        watched: { mode: 'report', providers: ['com.acme'] },
      },
    });
  });
  afterAll(() => g.cleanup());

  it('allows a verified tool with its signed perms; refuses others with their reason', async () => {
    const read = await sign(tool('read'), acme, { perms: ['files:read'] });
    const pulled = { ...(await sign(tool('pulled'), acme)), description: 'changed' };
    await g.guard.rewriteToolsList(ctx, listResponse([read, tool('bare'), pulled]), undefined);
    expect(g.guard.checkCall(ctx, 'read')).toEqual({
      ok: true,
      perms: ['files:read'],
      iss: 'com.acme',
      ver: '1.0.0',
    });
    expect(g.guard.checkCall(ctx, 'bare')).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(g.guard.checkCall(ctx, 'pulled')).toMatchObject({
      ok: false,
      reason: 'digest-mismatch',
    });
    expect(g.guard.checkCall(ctx, 'never')).toMatchObject({ ok: false, reason: 'unknown-tool' });
    // Tools are per upstream.
    expect(g.guard.checkCall({ ...ctx, upstream: 'watched' }, 'read')).toMatchObject({
      ok: true,
      reported: { reason: 'unknown-tool' },
    });
    const decisions = g.logger.audit('tools/call');
    expect(decisions.map((r) => [r.tool, r.decision, r.reason])).toEqual([
      ['read', 'allowed', undefined],
      ['bare', 'refused', 'unsigned'],
      ['pulled', 'refused', 'digest-mismatch'],
      ['never', 'refused', 'unknown-tool'],
      ['read', 'reported', 'unknown-tool'],
    ]);
  });

  it('refuses a tool that expired or went stale since it was listed (no new list needed)', async () => {
    const short = await sign(tool('short'), acme, { expiresIn: '1d' });
    const aging = await sign(tool('aging'), acme, { now: Date.UTC(2025, 11, 20) });
    await g.guard.rewriteToolsList(ctx, listResponse([short, aging]), undefined);
    expect(g.guard.checkCall(ctx, 'short').ok).toBe(true);
    expect(g.guard.checkCall(ctx, 'aging').ok).toBe(true);
    g.clock.advance(2 * DAY);
    expect(g.guard.checkCall(ctx, 'short')).toMatchObject({ ok: false, reason: 'expired' });
    g.clock.advance(30 * DAY);
    expect(g.guard.checkCall(ctx, 'aging')).toMatchObject({ ok: false, reason: 'stale' });
  });

  it('report mode passes a rejected tool with no perms and says what enforce would refuse', async () => {
    const up = { ...ctx, upstream: 'watched' };
    await g.guard.rewriteToolsList(up, listResponse([tool('loose')]), undefined);
    expect(g.guard.checkCall(up, 'loose')).toEqual({
      ok: true,
      perms: [],
      iss: undefined,
      ver: undefined,
      reported: { reason: 'unsigned', detail: expect.any(String) },
    });
  });
});

describe('trust JWKS files', () => {
  it('reloads a changed file: a key revoked there refuses calls and lists at once', async () => {
    const acme = await provider('com.acme');
    const g = await guardWith({ jwks: await trustJwks(acme) });
    try {
      const t = await sign(tool('t'), acme);
      await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined);
      expect(g.guard.checkCall(ctx, 't').ok).toBe(true);
      await writeJson(`${g.dir}/trust.jwks.json`, await trustJwks({ ...acme, status: 'revoked' }));
      expect(await g.guard.refreshTrust()).toBe(true);
      expect(g.guard.checkCall(ctx, 't')).toMatchObject({ ok: false, reason: 'key-revoked' });
      await g.guard.rewriteToolsList(ctx, listResponse([t], 2), undefined);
      expect(g.logger.audit().at(-1)).toMatchObject({ reason: 'key-revoked' });
    } finally {
      await g.cleanup();
    }
  });

  it('keeps the old trust when the new file is bad, and logs why', async () => {
    const acme = await provider('com.acme');
    const g = await guardWith({ jwks: await trustJwks(acme) });
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(`${g.dir}/trust.jwks.json`, '{"keys": [ {"kty": "OKP"} ');
      expect(await g.guard.refreshTrust()).toBe(false);
      await writeJson(`${g.dir}/trust.jwks.json`, { keys: [{ kty: 'OKP', crv: 'Ed25519' }] });
      expect(await g.guard.refreshTrust()).toBe(false);
      const warnings = g.logger.lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(2);
      expect(warnings[0]!.fields.pointer).toBe('/trust/jwks/0');
      const out = await g.guard.rewriteToolsList(
        ctx,
        listResponse([await sign(tool('t'), acme)]),
        undefined,
      );
      expect(out.verified).toBe(1);
    } finally {
      await g.cleanup();
    }
  });

  it('a key never widens again while the guard runs: an older file cannot un-revoke it', async () => {
    const acme = await provider('com.acme');
    const g = await guardWith({ jwks: await trustJwks(acme) });
    try {
      await writeJson(`${g.dir}/trust.jwks.json`, await trustJwks({ ...acme, status: 'revoked' }));
      await g.guard.refreshTrust();
      await writeJson(`${g.dir}/trust.jwks.json`, await trustJwks(acme));
      await g.guard.refreshTrust();
      await g.guard.rewriteToolsList(ctx, listResponse([await sign(tool('t'), acme)]), undefined);
      expect(g.logger.audit().at(-1)).toMatchObject({ reason: 'key-revoked' });
    } finally {
      await g.cleanup();
    }
  });

  it('notices a changed file by itself (fs.watch or the poll)', async () => {
    const acme = await provider('com.acme');
    const g = await guardWith({
      jwks: await trustJwks(acme),
      options: { watchFiles: true, filePollIntervalMs: 200 },
    });
    try {
      const t = await sign(tool('t'), acme);
      await g.guard.rewriteToolsList(ctx, listResponse([t]), undefined);
      await writeJson(`${g.dir}/trust.jwks.json`, await trustJwks({ ...acme, status: 'revoked' }));
      await expect
        .poll(() => g.guard.checkCall(ctx, 't'), { timeout: 10_000, interval: 50 })
        .toMatchObject({ ok: false, reason: 'key-revoked' });
    } finally {
      await g.cleanup();
    }
  });
});
