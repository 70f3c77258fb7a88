import type { Redis } from 'ioredis';
import { checkOptions } from '../config/check-options.js';
import { AUTH_DEFAULTS } from '../config/defaults.js';
import { AuthError } from '../errors.js';
import { validateApiKeyRecord, type ApiKeyRecord } from './api-key-record.js';
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
    this.#prefix = options.prefix ?? AUTH_DEFAULTS.redis.prefix;
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

  async set(record: ApiKeyRecord): Promise<void> {
    checkOptions(validateApiKeyRecord, record, 'malformed API key record', 'invalid-argument');
    await this.#redis.set(this.#key(record.keyId), JSON.stringify(record));
  }

  async delete(keyId: string): Promise<boolean> {
    return (await this.#redis.del(this.#key(keyId))) > 0;
  }
}
