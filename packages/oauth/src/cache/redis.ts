import { Ajv, type ValidateFunction } from 'ajv';
import { Redis } from 'ioredis';
import { OAuthError } from '../errors.js';
import { TokenCipher, parseEncryptionKey, type TokenEncryptionKey } from './encryption.js';
import type { RefreshTokenEntry, TokenCache, TokenCacheEntry } from './types.js';

/** Options of {@link RedisTokenCache}. */
export interface RedisTokenCacheOptions {
  /** An ioredis client to use. The cache does not close it. */
  readonly redis?: Redis;
  /** Or a Redis URL; the cache opens its own client and closes it in `close()`. */
  readonly url?: string;
  /**
   * Prefix of every Redis key; `at:` (access token) or `rt:` (refresh token) and the cache key
   * follow it. Default `etdi:oauth:token:`.
   */
  readonly keyPrefix?: string;
  /** AES-256-GCM key entries are sealed with. Required: tokens are never stored in clear. */
  readonly encryptionKey: TokenEncryptionKey;
  /** Older keys that may still open entries during a key rotation. */
  readonly previousKeys?: readonly TokenEncryptionKey[];
}

const ENTRY_SCHEMA = {
  type: 'object',
  required: ['accessToken', 'tokenType', 'expiresAt', 'refreshAt', 'obtainedAt'],
  additionalProperties: false,
  properties: {
    accessToken: { type: 'string', minLength: 1 },
    tokenType: { const: 'Bearer' },
    expiresAt: { type: 'number' },
    refreshAt: { type: 'number' },
    obtainedAt: { type: 'number' },
    scope: { type: 'string' },
  },
} as const;

const REFRESH_SCHEMA = {
  type: 'object',
  required: ['refreshToken', 'obtainedAt'],
  additionalProperties: false,
  properties: {
    refreshToken: { type: 'string', minLength: 1 },
    expiresAt: { type: 'number' },
    obtainedAt: { type: 'number' },
    scope: { type: 'string' },
  },
} as const;

let validators: { entry: ValidateFunction; refresh: ValidateFunction } | undefined;

function compiled(): { entry: ValidateFunction; refresh: ValidateFunction } {
  if (validators === undefined) {
    const ajv = new Ajv({ strict: true });
    validators = { entry: ajv.compile(ENTRY_SCHEMA), refresh: ajv.compile(REFRESH_SCHEMA) };
  }
  return validators;
}

/**
 * A {@link TokenCache} in Redis, shared by gateway replicas. Each cache key has two Redis keys:
 * `<prefix>at:<key>` holds the access token and expires with it, `<prefix>rt:<key>` holds the
 * refresh token and expires with the refresh token. Values are sealed with AES-256-GCM (fresh IV
 * each, the Redis key as associated data, a key id for rotation). A value that cannot be opened
 * (wrong key, tampering) is reported as an error, which the service logs and treats as a miss: it
 * acquires a new token and overwrites it.
 *
 * @example
 * const cache = new RedisTokenCache({
 *   url: 'redis://127.0.0.1:6379',
 *   encryptionKey: process.env.ETDI_TOKEN_CACHE_KEY!, // openssl rand -base64 32
 * });
 * const oauth = createOAuthService({ cache });
 */
export class RedisTokenCache implements TokenCache {
  readonly #redis: Redis;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #cipher: TokenCipher;
  /** The last access token entry opened per Redis key, with the sealed value it came from. */
  readonly #opened = new Map<
    string,
    { readonly sealed: string; readonly entry: TokenCacheEntry }
  >();

  constructor(options: RedisTokenCacheOptions) {
    if (options.redis === undefined && options.url === undefined) {
      throw new OAuthError('invalid-argument', 'RedisTokenCache needs a "redis" client or a "url"');
    }
    const current = parseEncryptionKey(options.encryptionKey, 'RedisTokenCache "encryptionKey"');
    const previous = (options.previousKeys ?? []).map((key, i) =>
      parseEncryptionKey(key, `RedisTokenCache "previousKeys[${i}]"`),
    );
    this.#cipher = new TokenCipher(current, previous);
    this.#prefix = options.keyPrefix ?? 'etdi:oauth:token:';
    this.#owned = options.redis === undefined;
    // A client of our own fails a command after a couple of reconnect attempts instead of
    // queueing it for long: a cache outage must degrade to "miss", not stall every request.
    this.#redis = options.redis ?? new Redis(options.url!, { maxRetriesPerRequest: 2 });
  }

  /** Id of the key new entries are sealed with (not secret). */
  get keyId(): string {
    return this.#cipher.keyId;
  }

  /** The Redis key of a cache key's access token. */
  redisKey(key: string): string {
    return `${this.#prefix}at:${key}`;
  }

  /** The Redis key of a cache key's refresh token. */
  refreshRedisKey(key: string): string {
    return `${this.#prefix}rt:${key}`;
  }

  async get(key: string): Promise<TokenCacheEntry | undefined> {
    const redisKey = this.redisKey(key);
    const sealed = await this.#redis.get(redisKey);
    if (sealed === null) {
      this.#opened.delete(redisKey);
      return undefined;
    }
    // Every read still goes to Redis, so another replica's write or delete is seen at once; only
    // the decryption of a value already opened is skipped (it cost more than the GET itself).
    const known = this.#opened.get(redisKey);
    if (known !== undefined && known.sealed === sealed) return known.entry;
    const entry = this.#open<TokenCacheEntry>(sealed, redisKey, compiled().entry);
    if (this.#opened.size >= 10_000) this.#opened.clear();
    this.#opened.set(redisKey, { sealed, entry });
    return entry;
  }

  async set(key: string, entry: TokenCacheEntry, ttlMs: number): Promise<void> {
    const redisKey = this.redisKey(key);
    this.#opened.delete(redisKey);
    await this.#write(redisKey, entry, ttlMs);
  }

  async getRefreshToken(key: string): Promise<RefreshTokenEntry | undefined> {
    const redisKey = this.refreshRedisKey(key);
    const sealed = await this.#redis.get(redisKey);
    return sealed === null
      ? undefined
      : this.#open<RefreshTokenEntry>(sealed, redisKey, compiled().refresh);
  }

  async setRefreshToken(key: string, entry: RefreshTokenEntry, ttlMs: number): Promise<void> {
    await this.#write(this.refreshRedisKey(key), entry, ttlMs);
  }

  async deleteRefreshToken(key: string): Promise<void> {
    await this.#redis.del(this.refreshRedisKey(key));
  }

  async delete(key: string): Promise<void> {
    this.#opened.delete(this.redisKey(key));
    await this.#redis.del(this.redisKey(key), this.refreshRedisKey(key));
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#redis.quit();
  }

  #open<T>(sealed: string, redisKey: string, validate: ValidateFunction): T {
    const plaintext = this.#cipher.open(sealed, redisKey);
    if (plaintext === undefined) {
      throw new OAuthError(
        'cache-error',
        'cached token cannot be decrypted (written under another encryption key, or tampered with)',
      );
    }
    const entry: unknown = JSON.parse(plaintext);
    if (!validate(entry)) {
      throw new OAuthError('cache-error', 'cached token entry has an unexpected shape');
    }
    return entry as T;
  }

  async #write(redisKey: string, entry: object, ttlMs: number): Promise<void> {
    const ttl = Math.ceil(ttlMs);
    if (ttl <= 0) {
      await this.#redis.del(redisKey);
      return;
    }
    await this.#redis.set(redisKey, this.#cipher.seal(JSON.stringify(entry), redisKey), 'PX', ttl);
  }
}
