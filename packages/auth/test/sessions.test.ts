import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '@etdi/auth';
import { testClock } from './support/clock.js';
import { sessionRecord, sessionStoreContract } from './support/session-store-contract.js';

describe('MemorySessionStore', () => {
  sessionStoreContract(
    (clock) => new MemorySessionStore({ now: clock }),
    () => testClock(),
  );

  it('drops the oldest sessions beyond its bound', async () => {
    const clock = testClock();
    const store = new MemorySessionStore({ now: clock, maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) {
      await store.set(sessionRecord(id, clock(), 1000));
    }
    expect(await store.get('a')).toBeUndefined();
    expect((await store.get('c'))?.id).toBe('c');
  });
});
