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
    const entry = sampleEntry();
    cache.set('access', 'k', entry, 1000);
    clock.advance(999);
    expect(cache.get('access', 'k')).toBe(entry);
    clock.advance(1);
    expect(cache.get('access', 'k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('expires the refresh token by its own lifetime, not by the access token lifetime', () => {
    const clock = new ManualClock();
    const cache = new MemoryTokenCache({ now: clock.now });
    cache.set('access', 'k', sampleEntry(), 1000);
    const refresh = sampleRefresh();
    cache.set('refresh', 'k', refresh, 5000);
    clock.advance(1000);
    expect(cache.get('access', 'k')).toBeUndefined();
    expect(cache.get('refresh', 'k')).toBe(refresh);
    clock.advance(4000);
    expect(cache.get('refresh', 'k')).toBeUndefined();
  });

  it('drops the least recently written entries beyond maxEntries', () => {
    const cache = new MemoryTokenCache({ maxEntries: 2 });
    cache.set('access', 'a', sampleEntry(), 1000);
    cache.set('access', 'b', sampleEntry(), 1000);
    const a = sampleEntry();
    const c = sampleEntry();
    cache.set('access', 'a', a, 1000); // rewritten: now the newest
    cache.set('access', 'c', c, 1000);
    expect(cache.get('access', 'b')).toBeUndefined();
    expect(cache.get('access', 'a')).toBe(a);
    expect(cache.get('access', 'c')).toBe(c);
    expect(cache.size).toBe(2);
  });
});
