import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GatewayError } from '../errors.js';
import type { SessionBindingStore } from './session-bindings.js';

/** Options of {@link RedisSessionBindings}. */
export interface RedisSessionBindingsOptions {
  /** A connected client; the caller closes it. */
  readonly redis: Redis;
  /** Key prefix. Default `etdi:gw:`; keys are `<prefix>session:<sha256(upstream, id)>`. */
  readonly prefix?: string;
  /** How long a binding lives, in seconds. */
  readonly ttlSec: number;
}

/**
 * Session bindings in Redis, shared by every gateway node. Keys are SHA-256 of the upstream and
 * the session id (the id is a bearer secret for its session; it is never stored as is).
 */
export class RedisSessionBindings implements SessionBindingStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlSec: number;

  constructor(options: RedisSessionBindingsOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'etdi:gw:';
    this.#ttlSec = Math.max(1, options.ttlSec);
  }

  #key(upstream: string, sessionId: string): string {
    const digest = createHash('sha256')
      .update(upstream)
      .update('\0')
      .update(sessionId)
      .digest('base64url');
    return `${this.#prefix}session:${digest}`;
  }

  async setIfAbsent(upstream: string, sessionId: string, principal: string): Promise<boolean> {
    try {
      const r = await this.#redis.set(
        this.#key(upstream, sessionId),
        principal,
        'EX',
        this.#ttlSec,
        'NX',
      );
      return r === 'OK';
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async get(upstream: string, sessionId: string): Promise<string | undefined> {
    try {
      return (await this.#redis.get(this.#key(upstream, sessionId))) ?? undefined;
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async delete(upstream: string, sessionId: string): Promise<void> {
    try {
      await this.#redis.del(this.#key(upstream, sessionId));
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async close(): Promise<void> {}
}

function unavailable(cause: unknown): GatewayError {
  return new GatewayError('store-error', 'session bindings: Redis is unavailable', { cause });
}
