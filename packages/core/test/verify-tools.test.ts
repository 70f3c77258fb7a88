import { beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryPinStore,
  SIGNATURE_META_KEY,
  signTool,
  Verifier,
  verifyTools,
  type SignedTool,
  type TrustStore,
} from '@etdi/core';
import { loadCorpus } from './support/corpus.js';
import { provider, trustFor, type Provider } from './support/keys.js';
import { clone } from './support/tools.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('verifyTools', () => {
  let acme: Provider;
  let trust: TrustStore;
  let corpus: SignedTool[];

  beforeAll(async () => {
    acme = await provider('com.acme');
    trust = await trustFor([acme]);
    corpus = [];
    for (const { tool } of loadCorpus()) {
      corpus.push(await signTool(tool, { key: acme.key, ver: '1.0.0', now: NOW }));
    }
  });

  describe('on the real tool corpus (4 public MCP servers)', () => {
    it('signs and verifies all 37 tools', async () => {
      expect(corpus).toHaveLength(37);
      const r = await verifyTools(corpus, { trust, now: NOW });
      expect(r.summary).toEqual({ valid: 37, rejected: 0 });
      expect(r.valid.map((t) => t.name)).toEqual(corpus.map((t) => t.name));
    });

    it('accepts a tools/list result object and keeps input order in results', async () => {
      const r = await verifyTools({ tools: corpus, nextCursor: 'x' }, { trust, now: NOW });
      expect(r.results.map((x) => x.name)).toEqual(corpus.map((t) => t.name));
    });
  });

  describe('when a list mixes good and bad tools', () => {
    it('gives each tool its own reason, in order, and serves only the valid ones', async () => {
      const list: unknown[] = clone(corpus.slice(0, 6));
      (list[1] as SignedTool).description = 'poisoned';
      delete (list[2] as Partial<SignedTool>)._meta;
      (list[3] as SignedTool)._meta[SIGNATURE_META_KEY] = 'a.b';
      list[4] = { not: 'a tool' };
      const r = await verifyTools(list, { trust, now: NOW });
      expect(r.results.map((x) => (x.ok ? 'ok' : x.reason))).toEqual([
        'ok',
        'digest-mismatch',
        'unsigned',
        'malformed',
        'schema-invalid',
        'ok',
      ]);
      expect(r.valid).toHaveLength(2);
      expect(r.summary).toEqual({ valid: 2, rejected: 4 });
    });

    it('rejects every tool of a duplicated name as malformed', async () => {
      const dup = clone(corpus[0]!);
      const r = await verifyTools([corpus[0], corpus[1], dup], { trust, now: NOW });
      expect(r.results.map((x) => (x.ok ? 'ok' : x.reason))).toEqual([
        'malformed',
        'ok',
        'malformed',
      ]);
    });

    it('refuses input that is not a list', async () => {
      await expect(verifyTools({ nope: [] } as never, { trust })).rejects.toMatchObject({
        code: 'invalid-argument',
      });
    });
  });

  describe('with a long-lived Verifier', () => {
    it('gives the same results from its caches, and still sees a change', async () => {
      const verifier = new Verifier({ trust, now: NOW });
      const first = await verifier.verifyAll(corpus);
      const again = await verifier.verifyAll(corpus);
      expect(again.summary).toEqual(first.summary);
      const changed = clone(corpus);
      changed[5]!.inputSchema.properties = { evil: { type: 'string' } };
      const third = await verifier.verifyAll(changed);
      expect(third.results[5]).toMatchObject({ ok: false, reason: 'digest-mismatch' });
      expect(third.summary).toEqual({ valid: 36, rejected: 1 });
    });

    it('does not trust a cached signature for a key revoked since', async () => {
      const store = await trustFor([acme]);
      const verifier = new Verifier({ trust: store, now: NOW });
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
      await store.addJwks((await trustFor([acme], { status: 'revoked' })).toJwks());
      const after = await verifier.verifyAll(corpus);
      expect(after.summary.valid).toBe(0);
      expect(new Set(after.rejected.map((r) => r.reason))).toEqual(new Set(['key-revoked']));
    });

    it('pins a whole list on first use and catches a rug pull inside the next list', async () => {
      const pins = new MemoryPinStore();
      const verifier = new Verifier({ trust, now: NOW, pins });
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
      expect(await pins.list()).toHaveLength(37);
      const pulled = await signTool(
        { ...corpus[7]!, description: 'new behaviour, same version' },
        { key: acme.key, ver: '1.0.0', now: NOW },
      );
      const next = corpus.map((t, i) => (i === 7 ? pulled : t));
      const r = await verifier.verifyAll(next);
      expect(r.results[7]).toMatchObject({ ok: false, reason: 'rug-pull' });
      expect(r.summary).toEqual({ valid: 36, rejected: 1 });
    });
  });
});
