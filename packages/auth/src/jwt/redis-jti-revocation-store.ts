import type { Redis } from 'ioredis';
import type { JtiRevocationStore } from './jti-revocation-store.js';
import { AUTH_DEFAULTS } from '../config/defaults.js';

/** Options of {@link RedisJtiRevocationStore}. */
export interface RedisJtiRevocationStoreOptions {
  /** A connected ioredis client; the caller owns it and closes it. */
  redis: Redis;
  /** Key prefix. Default `etdi:auth:`. */
  prefix?: string;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * Revoked `jti`s in Redis, seen by every gateway node at once. Each entry is a key that Redis
 * expires together with the token it revokes.
 */
export class RedisJtiRevocationStore implements JtiRevocationStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(options: RedisJtiRevocationStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? AUTH_DEFAULTS.redis.prefix;
    this.#now = options.now ?? Date.now;
  }

  #key(jti: string): string {
    return `${this.#prefix}jti:${jti}`;
  }

  async set(jti: string, expiresAt: number): Promise<void> {
    const ttl = Math.ceil(expiresAt - this.#now());
    if (ttl <= 0) return;
    await this.#redis.set(this.#key(jti), String(expiresAt), 'PX', ttl);
  }

  async get(jti: string): Promise<number | undefined> {
    const stored = await this.#redis.get(this.#key(jti));
    // The stored expiry is checked too: the clock may be injected, Redis's is not.
    const until = stored == null ? Number.NaN : Number(stored);
    return until > this.#now() ? until : undefined;
  }
}
