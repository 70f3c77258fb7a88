import { describe, expect, it } from 'vitest';
import type { AuthSession, SessionStore } from '@etdi/auth';
import type { TestClock } from './clock.js';

/** A session record created at `now` that lives `ttl` ms: the fixture of every session test. */
export function sessionRecord(id: string, now: number, ttl = 60_000): AuthSession {
  return {
    id,
    provider: 'jwt',
    method: 'jwt',
    userId: 'alice',
    permissions: ['a'],
    roles: [],
    createdAt: now,
    expiresAt: now + ttl,
    data: { jti: 'j1' },
  };
}

/** What every SessionStore does; run against memory and Redis alike. */
export function sessionStoreContract(
  make: (clock: TestClock) => SessionStore,
  clockFactory: () => TestClock,
): void {
  const session = (clock: TestClock, id: string, ttl = 60_000): AuthSession =>
    sessionRecord(id, clock(), ttl);

  describe('session store contract', () => {
    it('returns what was stored until it expires', async () => {
      const clock = clockFactory();
      const store = make(clock);
      const s = session(clock, `s-${Math.random()}`);
      await store.set(s);
      expect(await store.get(s.id)).toEqual(s);
      clock.advance(59_999);
      expect(await store.get(s.id)).toEqual(s);
      clock.advance(1);
      expect(await store.get(s.id)).toBeUndefined();
    });

    it('forgets deleted and unknown sessions', async () => {
      const clock = clockFactory();
      const store = make(clock);
      const s = session(clock, `s-${Math.random()}`);
      await store.set(s);
      await store.delete(s.id);
      expect(await store.get(s.id)).toBeUndefined();
      expect(await store.get('never-created')).toBeUndefined();
    });

    it('ignores a session that is already expired', async () => {
      const clock = clockFactory();
      const store = make(clock);
      const s = session(clock, `s-${Math.random()}`, 0);
      await store.set(s);
      expect(await store.get(s.id)).toBeUndefined();
    });
  });
}
