import { Ajv, type ValidateFunction } from 'ajv';
import { Redis } from 'ioredis';
import { OAuthError } from '../errors.js';
import { TokenCipher, parseEncryptionKey, type TokenEncryptionKey } from './encryption.js';
import type { TokenCache, TokenCacheEntry } from './types.js';

/** Options of {@link RedisTokenCache}. */
export interface RedisTokenCacheOptions {
  /** An ioredis client to use. The cache does not close it. */
  readonly redis?: Redis;
  /** Or a Redis URL; the cache opens its own client and closes it in `close()`. */
  readonly url?: string;
  /** Prefix of every key. Default `etdi:oauth:token:`. */
  readonly keyPrefix?: string;
  /** AES-256-GCM key entries are sealed with. Required: tokens are never stored in clear. */
  readonly encryptionKey: TokenEncryptionKey;
  /** Older keys that may still open entries during a key rotation. */
  readonly previousKeys?: readonly TokenEncryptionKey[];
}

const ENTRY_SCHEMA = {
  type: 'object',
  required: ['accessToken', 'tokenType', 'expiresAt', 'refreshAt', 'obtainedAt'],
  properties: {
    accessToken: { type: 'string', minLength: 1 },
    tokenType: { const: 'Bearer' },
    expiresAt: { type: 'number' },
    refreshAt: { type: 'number' },
    obtainedAt: { type: 'number' },
    refreshToken: { type: 'string' },
    refreshExpiresAt: { type: 'number' },
    scope: { type: 'string' },
  },
} as const;

let entryValidator: ValidateFunction | undefined;

/**
 * A {@link TokenCache} in Redis, shared by gateway replicas. Entries are sealed with
 * AES-256-GCM (fresh IV each, the key as associated data, a key id for rotation) and expire with
 * the token (`PX`). An entry that cannot be opened (wrong key, tampering) is reported as an
 * error, which the service logs and treats as a miss: it acquires a new token and overwrites it.
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
  /** The last entry opened per Redis key, with the sealed value it came from. */
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

  /** The Redis key of a cache key. */
  redisKey(key: string): string {
    return this.#prefix + key;
  }

  async get(key: string): Promise<TokenCacheEntry | undefined> {
    const redisKey = this.#prefix + key;
    const sealed = await this.#redis.get(redisKey);
    if (sealed === null) {
      this.#opened.delete(redisKey);
      return undefined;
    }
    // Every read still goes to Redis, so another replica's write or delete is seen at once; only
    // the decryption of a value already opened is skipped (it cost more than the GET itself).
    const known = this.#opened.get(redisKey);
    if (known !== undefined && known.sealed === sealed) return known.entry;
    const plaintext = this.#cipher.open(sealed, redisKey);
    if (plaintext === undefined) {
      throw new OAuthError(
        'cache-error',
        'cached token cannot be decrypted (written under another encryption key, or tampered with)',
      );
    }
    const entry: unknown = JSON.parse(plaintext);
    entryValidator ??= new Ajv({ strict: true }).compile(ENTRY_SCHEMA);
    if (!entryValidator(entry)) {
      throw new OAuthError('cache-error', 'cached token entry has an unexpected shape');
    }
    if (this.#opened.size >= 10_000) this.#opened.clear();
    this.#opened.set(redisKey, { sealed, entry: entry as TokenCacheEntry });
    return entry as TokenCacheEntry;
  }

  async set(key: string, entry: TokenCacheEntry, ttlMs: number): Promise<void> {
    const redisKey = this.#prefix + key;
    this.#opened.delete(redisKey);
    const ttl = Math.ceil(ttlMs);
    if (ttl <= 0) {
      await this.#redis.del(redisKey);
      return;
    }
    await this.#redis.set(redisKey, this.#cipher.seal(JSON.stringify(entry), redisKey), 'PX', ttl);
  }

  async delete(key: string): Promise<void> {
    this.#opened.delete(this.#prefix + key);
    await this.#redis.del(this.#prefix + key);
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#redis.quit();
  }
}
