import Type, { type Static } from 'typebox';

/**
 * One cached access token. Times are milliseconds since the epoch by the service clock. Holds a
 * secret (the access token): a store that leaves the process must encrypt it, as
 * {@link RedisTokenCache} does. It lives exactly as long as the access token.
 */
export const TokenCacheEntrySchema = Type.Object(
  {
    accessToken: Type.String({ minLength: 1 }),
    tokenType: Type.Literal('Bearer'),
    expiresAt: Type.Number({ description: 'When the access token expires.' }),
    refreshAt: Type.Number({
      description: 'From when the service refreshes it proactively (expiry minus the buffer).',
    }),
    obtainedAt: Type.Number({ description: 'When the token was requested.' }),
    scope: Type.Optional(Type.String({ description: 'Granted scope, space-separated.' })),
  },
  { additionalProperties: false },
);

/** One cached access token (the type of {@link TokenCacheEntrySchema}). */
export type TokenCacheEntry = Readonly<Static<typeof TokenCacheEntrySchema>>;

/**
 * A refresh token, kept apart from the access token it came with (under the same cache key) for
 * its own lifetime, which is usually far longer. A secret: encrypt it at rest.
 */
export const RefreshTokenEntrySchema = Type.Object(
  {
    refreshToken: Type.String({ minLength: 1 }),
    expiresAt: Type.Optional(
      Type.Number({
        description: 'When the refresh token expires, when the server said (refresh_expires_in).',
      }),
    ),
    obtainedAt: Type.Number({ description: 'When the server last issued or accepted it.' }),
    scope: Type.Optional(
      Type.String({ description: 'Scope of the grant it refreshes, space-separated.' }),
    ),
  },
  { additionalProperties: false },
);

/** A cached refresh token (the type of {@link RefreshTokenEntrySchema}). */
export type RefreshTokenEntry = Readonly<Static<typeof RefreshTokenEntrySchema>>;

/** The two kinds of entry a cache key has, each with its own lifetime. */
export interface TokenEntries {
  readonly access: TokenCacheEntry;
  readonly refresh: RefreshTokenEntry;
}

/** `access` (the access token) or `refresh` (the refresh token that came with it). */
export type TokenKind = keyof TokenEntries;

/** A value a store answers now or later: the in-memory store answers at once. */
type Answer<T> = T | Promise<T>;

/**
 * Where the service keeps tokens between requests, keyed by server, configuration and project.
 * Each key has an `access` entry and, apart from it, a `refresh` entry, each stored for its own
 * time to live. Methods may answer synchronously (the in-memory store does, which keeps the cached
 * path of `getAccessToken` free of extra promise hops) or with a promise (Redis). They may throw
 * or reject; the service logs the failure and carries on as if the entry were missing.
 *
 * @example
 * await cache.set('access', key, entry, entry.expiresAt - Date.now());
 * const refresh = await cache.get('refresh', key);
 * await cache.delete(key); // both kinds
 */
export interface TokenCache {
  /** The key's entry of `kind`, or `undefined`. */
  get<K extends TokenKind>(kind: K, key: string): Answer<TokenEntries[K] | undefined>;
  /** Stores the key's entry of `kind` for `ttlMs` milliseconds; nothing when `ttlMs <= 0`. */
  set<K extends TokenKind>(
    kind: K,
    key: string,
    entry: TokenEntries[K],
    ttlMs: number,
  ): Answer<void>;
  /**
   * Forgets the key's entry of `kind` (a refresh token the server refused), or everything under
   * the key without one.
   */
  delete(key: string, kind?: TokenKind): Answer<void>;
  /** Releases connections the store opened itself. */
  close?(): Answer<void>;
}
