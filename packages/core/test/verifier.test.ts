import { beforeAll, describe, expect, it } from 'vitest';
import {
  EtdiError,
  MemoryPinStore,
  signRevocationList,
  signTool,
  Verifier,
  verifyRevocationList,
  type Pin,
  type PinId,
  type PinStore,
  type RevocationEntry,
  type SignedTool,
  type TrustStore,
  type VerifyOptions,
} from '@etdi/core';
import { loadCorpus } from './support/corpus.js';
import { provider, trustFor, type Provider } from './support/keys.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const at = '2026-05-01T00:00:00Z';

/** A real MemoryPinStore that counts the calls it gets and can hold `getMany` behind a gate. */
class CountingPinStore implements PinStore {
  readonly inner = new MemoryPinStore();
  readonly calls = { get: 0, getMany: 0, setIfAbsent: 0, replaceIf: 0, set: 0 };
  readonly idsAsked: PinId[][] = [];
  gate: Promise<void> | undefined;

  get(iss: string, sub: string) {
    this.calls.get++;
    return this.inner.get(iss, sub);
  }
  async getMany(ids: readonly PinId[]) {
    this.calls.getMany++;
    this.idsAsked.push(ids.map(({ iss, sub }) => ({ iss, sub })));
    await this.gate;
    return this.inner.getMany(ids);
  }
  set(pin: Pin) {
    this.calls.set++;
    return this.inner.set(pin);
  }
  setIfAbsent(pin: Pin) {
    this.calls.setIfAbsent++;
    return this.inner.setIfAbsent(pin);
  }
  replaceIf(expected: Pick<Pin, 'ver' | 'dig'>, next: Pin) {
    this.calls.replaceIf++;
    return this.inner.replaceIf(expected, next);
  }
  delete(iss: string, sub: string) {
    return this.inner.delete(iss, sub);
  }
  list() {
    return this.inner.list();
  }
}

describe('Verifier', () => {
  let acme: Provider;
  let other: Provider;
  let registry: Provider;
  let trust: TrustStore;
  let corpus: SignedTool[];

  const revocationList = async (entries: RevocationEntry[], seq = 1) =>
    verifyRevocationList(await signRevocationList(entries, { key: registry.key, seq, now: NOW }), {
      trust: await trustFor([registry]),
      issuer: 'registry.example',
      now: NOW,
    });
  const reasons = (r: { results: readonly { ok: boolean; reason?: string }[] }) =>
    new Set(r.results.map((x) => (x.ok ? 'ok' : x.reason)));

  beforeAll(async () => {
    acme = await provider('com.acme');
    other = await provider('com.other');
    registry = await provider('registry.example');
    trust = await trustFor([acme]);
    corpus = [];
    for (const { tool } of loadCorpus()) {
      corpus.push(await signTool(tool, { key: acme.key, ver: '1.0.0', now: NOW }));
    }
  });

  describe('options', () => {
    it('are read once: changing the caller’s object later changes nothing', async () => {
      const options: VerifyOptions = { trust, now: new Date(NOW), algorithms: ['EdDSA'] };
      const verifier = new Verifier(options);
      options.trust = await trustFor([other]);
      options.maxAge = '1s';
      options.revocations = await revocationList([{ iss: 'com.acme', revokedAt: at }]);
      options.pins = new MemoryPinStore();
      options.approveFirstUse = false;
      (options.now as Date).setTime(NOW + 400 * 86_400_000);
      (options.algorithms as string[]).splice(0, 1, 'ES256');
      const r = await verifier.verifyAll(corpus);
      expect(r.summary).toEqual({ valid: 37, rejected: 0 });
      expect(r.results[0]).toMatchObject({ ok: true, pin: 'not-checked' });
    });

    it('are validated at construction, and verifyTools turns a bad one into a rejection', async () => {
      expect(() => new Verifier({ trust, maxAge: 'soon' })).toThrowError(EtdiError);
      expect(() => new Verifier({ trust, algorithms: ['HS256' as never] })).toThrowError(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
      expect(() => new Verifier({ trust, now: new Date('nope') })).toThrowError(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
      expect(() => new Verifier({} as VerifyOptions)).toThrowError(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
    });
  });

  describe('update', () => {
    it('swaps the trust: a key removed since gives unknown-key, without validating again', async () => {
      const verifier = new Verifier({ trust, now: NOW });
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
      verifier.update({ trust: await trustFor([other]) });
      const after = await verifier.verifyAll(corpus);
      expect(reasons(after)).toEqual(new Set(['unknown-key']));
      // The schema cache answered for every tool: checkToolSchema ran 37 times, not 74.
      expect(verifier.cacheStats().schema).toEqual({ hits: 37, misses: 37, entries: 37 });
    });

    it('swaps the trust: a key revoked since gives key-revoked, though its signatures are cached', async () => {
      const verifier = new Verifier({ trust, now: NOW });
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
      expect(verifier.cacheStats().signature.entries).toBe(37);
      verifier.update({ trust: await trustFor([acme], { status: 'revoked' }) });
      const after = await verifier.verifyAll(corpus);
      expect(reasons(after)).toEqual(new Set(['key-revoked']));
    });

    it('applies a retirement window of the new trust to cached signatures', async () => {
      const verifier = new Verifier({ trust, now: NOW });
      await verifier.verifyAll(corpus);
      // Retired before these signatures were made (iat = NOW): they no longer count.
      verifier.update({
        trust: await trustFor([acme], { status: 'retired', notAfter: new Date(NOW - 1000) }),
      });
      expect(reasons(await verifier.verifyAll(corpus))).toEqual(new Set(['key-revoked']));
    });

    it('keeps both caches across a trust change: no schema validation or crypto is redone', async () => {
      const verifier = new Verifier({ trust, now: NOW });
      await verifier.verifyAll(corpus);
      expect(verifier.cacheStats()).toEqual({
        schema: { hits: 0, misses: 37, entries: 37 },
        signature: { hits: 0, misses: 37, entries: 37 },
      });
      // The same key, loaded again (as after a JWKS refresh), together with another provider's.
      verifier.update({ trust: await trustFor([acme, other]) });
      const after = await verifier.verifyAll(corpus);
      expect(after.summary).toEqual({ valid: 37, rejected: 0 });
      expect(verifier.cacheStats()).toEqual({
        schema: { hits: 37, misses: 37, entries: 37 },
        signature: { hits: 37, misses: 37, entries: 37 },
      });
    });

    it('swaps the revocation list: a tool revoked since gives revoked, the rest stay valid', async () => {
      const verifier = new Verifier({
        trust,
        now: NOW,
        revocations: await revocationList([], 1),
      });
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
      const victim = corpus[3]!;
      verifier.update({
        revocations: await revocationList(
          [{ iss: 'com.acme', sub: victim.name, revokedAt: at, reason: 'exfiltration' }],
          2,
        ),
      });
      const after = await verifier.verifyAll(corpus);
      expect(after.results[3]).toMatchObject({ ok: false, reason: 'revoked', name: victim.name });
      expect(after.summary).toEqual({ valid: 36, rejected: 1 });
      expect(verifier.cacheStats().signature).toMatchObject({ hits: 37, misses: 37 });
    });

    it('swaps maxAge and the clock tolerance', async () => {
      const verifier = new Verifier({ trust, now: NOW + 2 * 86_400_000 });
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
      verifier.update({ maxAge: '1d' });
      expect(reasons(await verifier.verifyAll(corpus))).toEqual(new Set(['stale']));
      verifier.update({ clockTolerance: '2d' });
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
    });

    it('refuses an older revocation list of the same issuer, and then changes nothing', async () => {
      const verifier = new Verifier({ trust, now: NOW, revocations: await revocationList([], 5) });
      const older = await revocationList([], 4);
      let error: unknown;
      try {
        verifier.update({ revocations: older, maxAge: '1s' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EtdiError);
      expect(error).toMatchObject({ code: 'invalid-argument' });
      // maxAge was not applied either: the update is all or nothing.
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
    });

    it('refuses bad values and keeps the settings in force', async () => {
      const verifier = new Verifier({ trust, now: NOW });
      expect(() => verifier.update({ algorithms: ['none' as never] })).toThrowError(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
      expect(() => verifier.update({ clockTolerance: '-1s' })).toThrowError(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
    });

    it('lets a call already running finish with the settings it started with', async () => {
      const pins = new CountingPinStore();
      let open!: () => void;
      pins.gate = new Promise((resolve) => (open = resolve));
      const verifier = new Verifier({ trust, now: NOW, pins });
      const running = verifier.verifyAll(corpus);
      await Promise.resolve();
      while (pins.calls.getMany === 0) await new Promise((r) => setImmediate(r));
      verifier.update({ approveFirstUse: false });
      open();
      const r = await running;
      expect(r.summary.valid).toBe(37);
      expect(r.results[0]).toMatchObject({ ok: true, pin: 'first-use' });
      pins.gate = undefined;
      const fresh = await signTool(
        { name: 'brand_new', inputSchema: { type: 'object' } },
        { key: acme.key, ver: '1.0.0', now: NOW },
      );
      expect(await verifier.verify(fresh)).toMatchObject({
        ok: false,
        reason: 'reapproval-required',
      });
    });
  });

  describe('cacheStats', () => {
    it('counts every check as a miss when caching is off', async () => {
      const verifier = new Verifier({ trust, now: NOW, cache: false });
      await verifier.verifyAll(corpus);
      await verifier.verifyAll(corpus);
      expect(verifier.cacheStats()).toEqual({
        schema: { hits: 0, misses: 74, entries: 0 },
        signature: { hits: 0, misses: 74, entries: 0 },
      });
    });
  });

  describe('pins of a whole list', () => {
    it('are read with one getMany, not one get per tool, and approved once each', async () => {
      const pins = new CountingPinStore();
      const verifier = new Verifier({ trust, now: NOW, pins });
      expect((await verifier.verifyAll(corpus)).summary.valid).toBe(37);
      expect(pins.calls).toEqual({ get: 0, getMany: 1, setIfAbsent: 37, replaceIf: 0, set: 0 });
      expect(pins.idsAsked[0]).toEqual(corpus.map((t) => ({ iss: 'com.acme', sub: t.name })));
      const again = await verifier.verifyAll(corpus);
      expect(again.results.every((r) => r.ok && r.pin === 'unchanged')).toBe(true);
      expect(pins.calls).toEqual({ get: 0, getMany: 2, setIfAbsent: 37, replaceIf: 0, set: 0 });
    });

    it('asks only for the tools that passed every check before the pins', async () => {
      const pins = new CountingPinStore();
      const verifier = new Verifier({ trust, now: NOW, pins });
      const list: unknown[] = corpus.slice(0, 4);
      list[1] = { ...corpus[1]!, description: 'tampered' };
      list[2] = { not: 'a tool' };
      const r = await verifier.verifyAll(list);
      expect(r.results.map((x) => (x.ok ? 'ok' : x.reason))).toEqual([
        'ok',
        'digest-mismatch',
        'schema-invalid',
        'ok',
      ]);
      expect(pins.idsAsked).toEqual([
        [
          { iss: 'com.acme', sub: corpus[0]!.name },
          { iss: 'com.acme', sub: corpus[3]!.name },
        ],
      ]);
    });

    it('does not ask the store at all when no tool gets that far', async () => {
      const pins = new CountingPinStore();
      const verifier = new Verifier({ trust, now: NOW, pins });
      const r = await verifier.verifyAll([{ not: 'a tool' }]);
      expect(r.summary).toEqual({ valid: 0, rejected: 1 });
      expect(pins.calls.getMany).toBe(0);
    });

    it('still upgrades atomically and catches a rug pull inside the list', async () => {
      const pins = new CountingPinStore();
      const verifier = new Verifier({ trust, now: NOW, pins });
      await verifier.verifyAll(corpus);
      const upgraded = await signTool(
        { ...corpus[2]!, description: 'better docs' },
        { key: acme.key, ver: '1.1.0', now: NOW },
      );
      const pulled = await signTool(
        { ...corpus[5]!, description: 'new behaviour, same version' },
        { key: acme.key, ver: '1.0.0', now: NOW },
      );
      const next = corpus.map((t, i) => (i === 2 ? upgraded : i === 5 ? pulled : t));
      const r = await verifier.verifyAll(next);
      expect(r.results[2]).toMatchObject({ ok: true, pin: 'upgrade' });
      expect(r.results[5]).toMatchObject({ ok: false, reason: 'rug-pull' });
      expect(pins.calls.replaceIf).toBe(1);
      expect((await pins.get('com.acme', corpus[2]!.name))?.ver).toBe('1.1.0');
    });

    it('reads the pin of a single tool with get', async () => {
      const pins = new CountingPinStore();
      const verifier = new Verifier({ trust, now: NOW, pins });
      expect(await verifier.verify(corpus[0])).toMatchObject({ ok: true, pin: 'first-use' });
      expect(pins.calls).toMatchObject({ get: 1, getMany: 0, setIfAbsent: 1 });
    });
  });
});
