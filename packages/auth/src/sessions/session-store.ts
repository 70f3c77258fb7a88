import type { AuthSession } from './session-schema.js';

/**
 * Where sessions live: {@link MemorySessionStore} for one process, {@link RedisSessionStore}
 * for gateway nodes sharing one Redis. Both pass the same contract tests.
 */
export interface SessionStore {
  /** Stores a session until its `expiresAt`. */
  set(session: AuthSession): Promise<void>;
  /** The session, or `undefined` when unknown or expired. */
  get(id: string): Promise<AuthSession | undefined>;
  delete(id: string): Promise<void>;
}
