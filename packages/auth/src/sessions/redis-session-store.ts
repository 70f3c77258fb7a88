import { sha256Base64url } from '@etdi/core';
import type { Redis } from 'ioredis';
import { AuthError } from '../errors.js';
import { validateSession } from './session-schema.js';
import type { AuthSession, SessionStore } from './session-store.js';

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** A connected ioredis client; the caller owns it and closes it. */
  redis: Redis;
  /** Key prefix, e.g. `etdi:`. Default `etdi:auth:`. */
  prefix?: string;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * Sessions shared by every gateway node through Redis. Keys are `SHA-256(session id)`, so a
 * Redis dump yields no usable session id; Redis expires each key with its session.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(options: RedisSessionStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'etdi:auth:';
    this.#now = options.now ?? Date.now;
  }

  #key(id: string): string {
    return `${this.#prefix}session:${sha256Base64url(id)}`;
  }

  async create(session: AuthSession): Promise<void> {
    const ttl = Math.ceil(session.expiresAt - this.#now());
    if (ttl <= 0) return;
    // The id itself is not stored: whoever reads Redis learns nothing they could present.
    const { id: _id, ...stored } = session;
    await this.#redis.set(this.#key(session.id), JSON.stringify(stored), 'PX', ttl);
  }

  async get(id: string): Promise<AuthSession | undefined> {
    const raw = await this.#redis.get(this.#key(id));
    if (raw == null) return undefined;
    let parsed: unknown;
    try {
      parsed = { ...(JSON.parse(raw) as object), id };
    } catch (cause) {
      throw new AuthError('store-error', 'session record in Redis is not JSON', { cause });
    }
    if (!validateSession(parsed)) {
      throw new AuthError('store-error', 'session record in Redis does not match the schema');
    }
    // Redis expires the key itself, but the clock may be injected: check expiry here as well.
    if (parsed.expiresAt <= this.#now()) return undefined;
    return parsed;
  }

  async delete(id: string): Promise<void> {
    await this.#redis.del(this.#key(id));
  }
}
