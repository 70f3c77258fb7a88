/**
 * One cached token set. Times are milliseconds since the epoch by the service clock. Holds
 * secrets (the access and refresh tokens): a store that leaves the process must encrypt it, as
 * {@link RedisTokenCache} does.
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
  readonly refreshToken?: string;
  /** When the refresh token expires, when the server said (`refresh_expires_in`). */
  readonly refreshExpiresAt?: number;
  /** Granted scope, space-separated. */
  readonly scope?: string;
}

/**
 * Where the service keeps tokens between requests, keyed by server, configuration and project.
 * Methods may answer synchronously (the in-memory store does, which keeps the cached path of
 * `getAccessToken` free of extra promise hops) or with a promise (Redis). They may throw or
 * reject; the service logs the failure and carries on as if the entry were missing.
 */
export interface TokenCache {
  get(key: string): TokenCacheEntry | undefined | Promise<TokenCacheEntry | undefined>;
  /** Stores `entry` for `ttlMs` milliseconds (the store's own clock). */
  set(key: string, entry: TokenCacheEntry, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /** Releases connections the store opened itself. */
  close?(): void | Promise<void>;
}
