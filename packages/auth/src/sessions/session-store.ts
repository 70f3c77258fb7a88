import type { AuthMethod } from '../status.js';

/**
 * A session a provider opened after a successful authentication. It holds no secret: the
 * session id is the bearer, and stores index it by a hash.
 */
export interface AuthSession {
  readonly id: string;
  /** Name of the provider that opened it; only that provider validates or refreshes it. */
  readonly provider: string;
  readonly method: AuthMethod;
  readonly userId?: string;
  readonly projectId?: string;
  readonly permissions: readonly string[];
  readonly roles: readonly string[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds; never later than the credential's own expiry. */
  readonly expiresAt: number;
  /** Non-secret facts the provider re-checks on validation (API key id, token `jti`). */
  readonly data?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Where sessions live: {@link MemorySessionStore} for one process, {@link RedisSessionStore}
 * for gateway nodes sharing one Redis. Both pass the same contract tests.
 */
export interface SessionStore {
  /** Stores a session until its `expiresAt`. */
  create(session: AuthSession): Promise<void>;
  /** The session, or `undefined` when unknown or expired. */
  get(id: string): Promise<AuthSession | undefined>;
  delete(id: string): Promise<void>;
}
