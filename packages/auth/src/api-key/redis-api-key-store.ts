import type { Redis } from 'ioredis';
import { AuthError } from '../errors.js';
import type { ApiKeyRecord } from './api-key-record.js';
import { validateApiKeyRecord } from './api-key-schema.js';
import type { ApiKeyStore } from './api-key-store.js';

/** Options of {@link RedisApiKeyStore}. */
export interface RedisApiKeyStoreOptions {
  /** A connected ioredis client; the caller owns it and closes it. */
  redis: Redis;
  /** Key prefix. Default `etdi:auth:`. */
  prefix?: string;
}

/**
 * API key records in Redis, one JSON string per key id, shared by every gateway node. Records
 * are validated on the way in and on the way out: whatever else writes to Redis, a malformed
 * record is an error, never a half-read key.
 */
export class RedisApiKeyStore implements ApiKeyStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisApiKeyStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'etdi:auth:';
  }

  #key(keyId: string): string {
    return `${this.#prefix}apikey:${keyId}`;
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const raw = await this.#redis.get(this.#key(keyId));
    if (raw == null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (cause) {
      throw new AuthError('store-error', `API key record "${keyId}" in Redis is not JSON`, {
        cause,
      });
    }
    if (!validateApiKeyRecord(parsed) || parsed.keyId !== keyId) {
      throw new AuthError('store-error', `API key record "${keyId}" in Redis is malformed`);
    }
    return parsed;
  }

  async put(record: ApiKeyRecord): Promise<void> {
    if (!validateApiKeyRecord(record as unknown)) {
      throw new AuthError('invalid-argument', `API key record "${record.keyId}" is malformed`);
    }
    await this.#redis.set(this.#key(record.keyId), JSON.stringify(record));
  }

  async delete(keyId: string): Promise<boolean> {
    return (await this.#redis.del(this.#key(keyId))) > 0;
  }
}
