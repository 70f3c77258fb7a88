import { describe, expect, it } from 'vitest';
import { MemoryTokenCache } from '@etdi/oauth';
import { ManualClock } from './support/harness.js';
import { sampleEntry, sampleRefresh, tokenCacheContract } from './support/token-cache-contract.js';

tokenCacheContract('MemoryTokenCache', () =>
  Promise.resolve({ cache: new MemoryTokenCache(), cleanup: () => Promise.resolve() }),
);

describe('MemoryTokenCache', () => {
  it('answers synchronously (the cached path needs no promise hop)', () => {
    const cache = new MemoryTokenCache();
    const entry = sampleEntry();
    cache.set('k', entry, 1000);
    expect(cache.get('k')).toBe(entry);
  });

  it('expires entries by its clock', () => {
    const clock = new ManualClock();
    const cache = new MemoryTokenCache({ now: clock.now });
    cache.set('k', sampleEntry(), 1000);
    clock.advance(999);
    expect(cache.get('k')).toBeDefined();
    clock.advance(1);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('expires the refresh token by its own lifetime, not by the access token lifetime', () => {
    const clock = new ManualClock();
    const cache = new MemoryTokenCache({ now: clock.now });
    cache.set('k', sampleEntry(), 1000);
    cache.setRefreshToken('k', sampleRefresh(), 5000);
    clock.advance(1000);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.getRefreshToken('k')).toBeDefined();
    clock.advance(4000);
    expect(cache.getRefreshToken('k')).toBeUndefined();
  });

  it('drops the least recently written entries beyond maxEntries', () => {
    const cache = new MemoryTokenCache({ maxEntries: 2 });
    cache.set('a', sampleEntry(), 1000);
    cache.set('b', sampleEntry(), 1000);
    cache.set('a', sampleEntry(), 1000); // rewritten: now the newest
    cache.set('c', sampleEntry(), 1000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toBe(2);
  });
});
