/**
 * The contract every {@link TokenCache} keeps, run against each implementation (memory, Redis).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenCache, TokenCacheEntry } from '@etdi/oauth';

export interface CacheUnderTest {
  readonly cache: TokenCache;
  cleanup(): Promise<void>;
}

export function sampleEntry(overrides: Partial<TokenCacheEntry> = {}): TokenCacheEntry {
  const now = Date.now();
  return {
    accessToken: `at-contract-${Math.random().toString(36).slice(2)}`,
    tokenType: 'Bearer',
    expiresAt: now + 3_600_000,
    refreshAt: now + 3_300_000,
    obtainedAt: now,
    refreshToken: 'rt-contract-refresh-token',
    scope: 'tools:read',
    ...overrides,
  };
}

export function tokenCacheContract(name: string, make: () => Promise<CacheUnderTest>): void {
  describe(`${name} (TokenCache contract)`, () => {
    let subject: CacheUnderTest;
    beforeAll(async () => {
      subject = await make();
    });
    afterAll(() => subject.cleanup());

    it('misses an unknown key', async () => {
      expect(await subject.cache.get('contract:unknown')).toBeUndefined();
    });

    it('returns what was stored', async () => {
      const entry = sampleEntry();
      await subject.cache.set('contract:a', entry, 60_000);
      expect(await subject.cache.get('contract:a')).toEqual(entry);
    });

    it('keeps optional members optional', async () => {
      const { refreshToken: _r, scope: _s, ...bare } = sampleEntry();
      await subject.cache.set('contract:bare', bare, 60_000);
      expect(await subject.cache.get('contract:bare')).toEqual(bare);
    });

    it('overwrites', async () => {
      const second = sampleEntry();
      await subject.cache.set('contract:b', sampleEntry(), 60_000);
      await subject.cache.set('contract:b', second, 60_000);
      expect(await subject.cache.get('contract:b')).toEqual(second);
    });

    it('keeps keys apart', async () => {
      const x = sampleEntry();
      const y = sampleEntry();
      await subject.cache.set('contract:x', x, 60_000);
      await subject.cache.set('contract:y', y, 60_000);
      expect(await subject.cache.get('contract:x')).toEqual(x);
      expect(await subject.cache.get('contract:y')).toEqual(y);
    });

    it('deletes', async () => {
      await subject.cache.set('contract:c', sampleEntry(), 60_000);
      await subject.cache.delete('contract:c');
      expect(await subject.cache.get('contract:c')).toBeUndefined();
    });

    it('stores nothing for a lifetime of zero or less', async () => {
      await subject.cache.set('contract:d', sampleEntry(), 60_000);
      await subject.cache.set('contract:d', sampleEntry(), 0);
      expect(await subject.cache.get('contract:d')).toBeUndefined();
    });
  });
}
