import { compileSchema } from '@etdi/core';
import type { ValidateFunction } from 'ajv';
import { Redis } from 'ioredis';
import { OAuthError } from '../errors.js';
import { TokenCipher, parseEncryptionKey, type TokenEncryptionKey } from './encryption.js';
import {
  RefreshTokenEntrySchema,
  TokenCacheEntrySchema,
  type RefreshTokenEntry,
  type TokenCache,
  type TokenCacheEntry,
  type TokenEntries,
  type TokenKind,
} from './types.js';

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
  readonly prefix?: string;
  /** AES-256-GCM key entries are sealed with. Required: tokens are never stored in clear. */
  readonly encryptionKey: TokenEncryptionKey;
  /** Older keys that may still open entries during a key rotation. */
  readonly previousKeys?: readonly TokenEncryptionKey[];
}

const SUFFIX: { readonly [K in TokenKind]: string } = { access: 'at:', refresh: 'rt:' };

let validators: { readonly [K in TokenKind]: ValidateFunction<TokenEntries[K]> } | undefined;

function validatorOf<K extends TokenKind>(kind: K): ValidateFunction<TokenEntries[K]> {
  validators ??= {
    access: compileSchema<TokenCacheEntry>(TokenCacheEntrySchema),
    refresh: compileSchema<RefreshTokenEntry>(RefreshTokenEntrySchema),
  };
  return validators[kind];
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
    this.#prefix = options.prefix ?? 'etdi:oauth:token:';
    this.#owned = options.redis === undefined;
    // A client of our own fails a command after a couple of reconnect attempts instead of
    // queueing it for long: a cache outage must degrade to "miss", not stall every request.
    this.#redis = options.redis ?? new Redis(options.url!, { maxRetriesPerRequest: 2 });
  }

  /** Id of the key new entries are sealed with (not secret). */
  get keyId(): string {
    return this.#cipher.keyId;
  }

  /** The Redis key of a cache key's entry of `kind`: `<prefix>at:<key>` or `<prefix>rt:<key>`. */
  redisKey(kind: TokenKind, key: string): string {
    return `${this.#prefix}${SUFFIX[kind]}${key}`;
  }

  async get<K extends TokenKind>(kind: K, key: string): Promise<TokenEntries[K] | undefined> {
    const redisKey = this.redisKey(kind, key);
    const sealed = await this.#redis.get(redisKey);
    if (kind === 'refresh') {
      return sealed === null ? undefined : this.#open(sealed, redisKey, validatorOf(kind));
    }
    if (sealed === null) {
      this.#opened.delete(redisKey);
      return undefined;
    }
    // Every read still goes to Redis, so another replica's write or delete is seen at once; only
    // the decryption of a value already opened is skipped (it cost more than the GET itself).
    const known = this.#opened.get(redisKey);
    if (known !== undefined && known.sealed === sealed) return known.entry as TokenEntries[K];
    const entry = this.#open(sealed, redisKey, validatorOf('access'));
    if (this.#opened.size >= 10_000) this.#opened.clear();
    this.#opened.set(redisKey, { sealed, entry });
    return entry as TokenEntries[K];
  }

  async set<K extends TokenKind>(
    kind: K,
    key: string,
    entry: TokenEntries[K],
    ttlMs: number,
  ): Promise<void> {
    const redisKey = this.redisKey(kind, key);
    this.#opened.delete(redisKey);
    const ttl = Math.ceil(ttlMs);
    if (ttl <= 0) {
      await this.#redis.del(redisKey);
      return;
    }
    await this.#redis.set(redisKey, this.#cipher.seal(JSON.stringify(entry), redisKey), 'PX', ttl);
  }

  async delete(key: string, kind?: TokenKind): Promise<void> {
    const kinds: readonly TokenKind[] = kind === undefined ? ['access', 'refresh'] : [kind];
    const redisKeys = kinds.map((k) => this.redisKey(k, key));
    for (const redisKey of redisKeys) this.#opened.delete(redisKey);
    await this.#redis.del(...redisKeys);
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#redis.quit();
  }

  #open<T>(sealed: string, redisKey: string, validate: ValidateFunction<T>): T {
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
    return entry;
  }
}
