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
    cache.set('access', 'k', entry, 1000);
    expect(cache.get('access', 'k')).toBe(entry);
  });

  it('expires entries by its clock', () => {
    const clock = new ManualClock();
    const cache = new MemoryTokenCache({ now: clock.now });
    cache.set('access', 'k', sampleEntry(), 1000);
    clock.advance(999);
    expect(cache.get('access', 'k')).toBeDefined();
    clock.advance(1);
    expect(cache.get('access', 'k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('expires the refresh token by its own lifetime, not by the access token lifetime', () => {
    const clock = new ManualClock();
    const cache = new MemoryTokenCache({ now: clock.now });
    cache.set('access', 'k', sampleEntry(), 1000);
    cache.set('refresh', 'k', sampleRefresh(), 5000);
    clock.advance(1000);
    expect(cache.get('access', 'k')).toBeUndefined();
    expect(cache.get('refresh', 'k')).toBeDefined();
    clock.advance(4000);
    expect(cache.get('refresh', 'k')).toBeUndefined();
  });

  it('drops the least recently written entries beyond maxEntries', () => {
    const cache = new MemoryTokenCache({ maxEntries: 2 });
    cache.set('access', 'a', sampleEntry(), 1000);
    cache.set('access', 'b', sampleEntry(), 1000);
    cache.set('access', 'a', sampleEntry(), 1000); // rewritten: now the newest
    cache.set('access', 'c', sampleEntry(), 1000);
    expect(cache.get('access', 'b')).toBeUndefined();
    expect(cache.get('access', 'a')).toBeDefined();
    expect(cache.get('access', 'c')).toBeDefined();
    expect(cache.size).toBe(2);
  });
});
