/**
 * One cached access token. Times are milliseconds since the epoch by the service clock. Holds a
 * secret (the access token): a store that leaves the process must encrypt it, as
 * {@link RedisTokenCache} does. It lives exactly as long as the access token.
 */
export interface TokenCacheEntry {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** When the access token expires. */
  readonly expiresAt: number;
  /** From when the service refreshes it proactively (expiry minus the buffer). */
  readonly refreshAt: number;
  /** When the token was requested. */
  readonly obtainedAt: number;
  /** Granted scope, space-separated. */
  readonly scope?: string;
}

/**
 * A refresh token, kept apart from the access token it came with (under the same cache key) for
 * its own lifetime, which is usually far longer. A secret: encrypt it at rest.
 */
export interface RefreshTokenEntry {
  readonly refreshToken: string;
  /** When the refresh token expires, when the server said (`refresh_expires_in`). */
  readonly expiresAt?: number;
  /** When the server last issued or accepted it. */
  readonly obtainedAt: number;
  /** Scope of the grant it refreshes, space-separated. */
  readonly scope?: string;
}

/**
 * Where the service keeps tokens between requests, keyed by server, configuration and project.
 * Each key has an access token entry and, apart from it, a refresh token entry, each stored for
 * its own time to live. Methods may answer synchronously (the in-memory store does, which keeps
 * the cached path of `getAccessToken` free of extra promise hops) or with a promise (Redis). They
 * may throw or reject; the service logs the failure and carries on as if the entry were missing.
 */
export interface TokenCache {
  get(key: string): TokenCacheEntry | undefined | Promise<TokenCacheEntry | undefined>;
  /** Stores `entry` for `ttlMs` milliseconds (the store's own clock); nothing when `ttlMs <= 0`. */
  set(key: string, entry: TokenCacheEntry, ttlMs: number): void | Promise<void>;
  getRefreshToken(
    key: string,
  ): RefreshTokenEntry | undefined | Promise<RefreshTokenEntry | undefined>;
  /** Stores the key's refresh token for `ttlMs` milliseconds; nothing when `ttlMs <= 0`. */
  setRefreshToken(key: string, entry: RefreshTokenEntry, ttlMs: number): void | Promise<void>;
  /** Forgets only the key's refresh token (the server refused it). */
  deleteRefreshToken(key: string): void | Promise<void>;
  /** Forgets everything under the key: the access token and the refresh token. */
  delete(key: string): void | Promise<void>;
  /** Releases connections the store opened itself. */
  close?(): void | Promise<void>;
}
