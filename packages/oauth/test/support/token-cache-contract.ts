/**
 * The contract every {@link TokenCache} keeps, run against each implementation (memory, Redis).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefreshTokenEntry, TokenCache, TokenCacheEntry } from '@etdi/oauth';

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
    scope: 'tools:read',
    ...overrides,
  };
}

export function sampleRefresh(overrides: Partial<RefreshTokenEntry> = {}): RefreshTokenEntry {
  const now = Date.now();
  return {
    refreshToken: `rt-contract-${Math.random().toString(36).slice(2)}`,
    obtainedAt: now,
    expiresAt: now + 86_400_000,
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
      expect(await subject.cache.get('access', 'contract:unknown')).toBeUndefined();
    });

    it('returns what was stored', async () => {
      const entry = sampleEntry();
      await subject.cache.set('access', 'contract:a', entry, 60_000);
      expect(await subject.cache.get('access', 'contract:a')).toEqual(entry);
    });

    it('keeps optional members optional', async () => {
      const { scope: _s, ...bare } = sampleEntry();
      await subject.cache.set('access', 'contract:bare', bare, 60_000);
      expect(await subject.cache.get('access', 'contract:bare')).toEqual(bare);
    });

    it('overwrites', async () => {
      const second = sampleEntry();
      await subject.cache.set('access', 'contract:b', sampleEntry(), 60_000);
      await subject.cache.set('access', 'contract:b', second, 60_000);
      expect(await subject.cache.get('access', 'contract:b')).toEqual(second);
    });

    it('keeps keys apart', async () => {
      const x = sampleEntry();
      const y = sampleEntry();
      await subject.cache.set('access', 'contract:x', x, 60_000);
      await subject.cache.set('access', 'contract:y', y, 60_000);
      expect(await subject.cache.get('access', 'contract:x')).toEqual(x);
      expect(await subject.cache.get('access', 'contract:y')).toEqual(y);
    });

    it('deletes', async () => {
      await subject.cache.set('access', 'contract:c', sampleEntry(), 60_000);
      await subject.cache.delete('contract:c');
      expect(await subject.cache.get('access', 'contract:c')).toBeUndefined();
    });

    it('stores nothing for a lifetime of zero or less', async () => {
      await subject.cache.set('access', 'contract:d', sampleEntry(), 60_000);
      await subject.cache.set('access', 'contract:d', sampleEntry(), 0);
      expect(await subject.cache.get('access', 'contract:d')).toBeUndefined();
    });

    describe('refresh tokens', () => {
      it('misses an unknown key', async () => {
        expect(await subject.cache.get('refresh', 'contract:rt-unknown')).toBeUndefined();
      });

      it('returns what was stored, with and without its optional members', async () => {
        const full = sampleRefresh();
        await subject.cache.set('refresh', 'contract:rt-a', full, 60_000);
        expect(await subject.cache.get('refresh', 'contract:rt-a')).toEqual(full);
        const { expiresAt: _e, scope: _s, ...bare } = sampleRefresh();
        await subject.cache.set('refresh', 'contract:rt-b', bare, 60_000);
        expect(await subject.cache.get('refresh', 'contract:rt-b')).toEqual(bare);
      });

      it('lives apart from the access token of the same key', async () => {
        const entry = sampleEntry();
        const refresh = sampleRefresh();
        await subject.cache.set('access', 'contract:rt-c', entry, 60_000);
        await subject.cache.set('refresh', 'contract:rt-c', refresh, 60_000);
        await subject.cache.set('access', 'contract:rt-c', sampleEntry(), 0); // the access token expired
        expect(await subject.cache.get('access', 'contract:rt-c')).toBeUndefined();
        expect(await subject.cache.get('refresh', 'contract:rt-c')).toEqual(refresh);
      });

      it('is forgotten alone by delete(key, "refresh")', async () => {
        const entry = sampleEntry();
        await subject.cache.set('access', 'contract:rt-d', entry, 60_000);
        await subject.cache.set('refresh', 'contract:rt-d', sampleRefresh(), 60_000);
        await subject.cache.delete('contract:rt-d', 'refresh');
        expect(await subject.cache.get('refresh', 'contract:rt-d')).toBeUndefined();
        expect(await subject.cache.get('access', 'contract:rt-d')).toEqual(entry);
      });

      it('outlives the access token deleted alone by delete(key, "access")', async () => {
        const refresh = sampleRefresh();
        await subject.cache.set('access', 'contract:rt-g', sampleEntry(), 60_000);
        await subject.cache.set('refresh', 'contract:rt-g', refresh, 60_000);
        await subject.cache.delete('contract:rt-g', 'access');
        expect(await subject.cache.get('access', 'contract:rt-g')).toBeUndefined();
        expect(await subject.cache.get('refresh', 'contract:rt-g')).toEqual(refresh);
      });

      it('is forgotten with the access token by delete', async () => {
        await subject.cache.set('access', 'contract:rt-e', sampleEntry(), 60_000);
        await subject.cache.set('refresh', 'contract:rt-e', sampleRefresh(), 60_000);
        await subject.cache.delete('contract:rt-e');
        expect(await subject.cache.get('access', 'contract:rt-e')).toBeUndefined();
        expect(await subject.cache.get('refresh', 'contract:rt-e')).toBeUndefined();
      });

      it('stores nothing for a lifetime of zero or less', async () => {
        await subject.cache.set('refresh', 'contract:rt-f', sampleRefresh(), 60_000);
        await subject.cache.set('refresh', 'contract:rt-f', sampleRefresh(), 0);
        expect(await subject.cache.get('refresh', 'contract:rt-f')).toBeUndefined();
      });
    });
  });
}
