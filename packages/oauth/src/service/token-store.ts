import { AccessToken, type TokenResult } from '../access-token.js';
import type { RefreshTokenEntry, TokenCacheEntry } from '../cache/types.js';
import type { OAuthMetrics } from '../metrics.js';
import type { ResolvedServiceOptions } from '../options.js';
import { logFields, type GrantTarget, type Target } from './target.js';

/** Why a token is being acquired; logged with the acquisition. */
export type AcquisitionReason = 'cold' | 'expired' | 'proactive' | 'forced' | 'authorization';

/** What one token response leaves to cache: the access token and, apart, the refresh token. */
export interface TokenSet {
  readonly access: TokenCacheEntry;
  readonly refresh: RefreshTokenEntry | undefined;
}

/** What the store asks for when the cache cannot answer. */
export interface TokenSource {
  acquire(
    target: GrantTarget,
    previous: TokenCacheEntry | undefined,
    reason: AcquisitionReason,
  ): Promise<TokenResult>;
}

/** What the parts that act on stored tokens (acquisition, revocation) share. */
export interface StoreContext {
  readonly options: ResolvedServiceOptions;
  readonly metrics: OAuthMetrics;
  readonly store: TokenStore;
}

/** What this process last stored for a key, with the sequence number of when. */
interface RecentTokens extends TokenSet {
  readonly seq: number;
}

/** The fallback keeps at most this many keys, for when the cache fails. */
const MAX_RECENT = 10_000;

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The service's side of the {@link TokenCache}: cache first, with what this process last stored
 * as the fallback when the cache fails, one acquisition per key at a time (single flight), and
 * the pause after a failed proactive refresh.
 */
export class TokenStore {
  readonly #options: ResolvedServiceOptions;
  readonly #metrics: OAuthMetrics;
  readonly #inflight = new Map<string, Promise<TokenResult>>();
  /** The last token each key got here, with the sequence number of when it was stored. */
  readonly #recent = new Map<string, RecentTokens>();
  readonly #results = new WeakMap<TokenCacheEntry, TokenResult>();
  /** Keys whose proactive refresh failed, and until when the current token is served as is. */
  readonly #refreshPaused = new Map<string, number>();
  #seq = 0;

  constructor(options: ResolvedServiceOptions, metrics: OAuthMetrics) {
    this.#options = options;
    this.#metrics = metrics;
  }

  /**
   * The target's token: from the cache when one is there and not due for refresh, otherwise
   * from `source`, one acquisition per key however many callers ask at once. With the in-memory
   * cache a hit makes no I/O and no extra promise hop.
   */
  get(target: GrantTarget, forced: boolean, source: TokenSource): Promise<TokenResult> {
    const seq = ++this.#seq;
    // A forced refresh still reads the entry: its refresh token (perhaps stored by another
    // replica) is cheaper to use than a new grant.
    let lookup: TokenCacheEntry | undefined | Promise<TokenCacheEntry | undefined>;
    try {
      lookup = this.#options.cache.get('access', target.key);
    } catch (error) {
      return this.#afterLookup(
        target,
        seq,
        this.#cacheFailed(target, 'read', error),
        forced,
        source,
      );
    }
    if (isThenable(lookup)) {
      return lookup.then(
        (entry) => this.#afterLookup(target, seq, entry, forced, source),
        (error: unknown) =>
          this.#afterLookup(target, seq, this.#cacheFailed(target, 'read', error), forced, source),
      );
    }
    return this.#afterLookup(target, seq, lookup, forced, source);
  }

  /** Logs a cache failure and returns what this process last stored for the key, if anything. */
  #cacheFailed(target: Target, operation: string, error: unknown): TokenCacheEntry | undefined {
    this.#options.logger.warn(
      {
        server: target.server,
        projectId: target.projectId,
        configId: target.configId,
        code: 'cache-error',
        reason: reasonOf(error),
      },
      `token cache ${operation} failed; treating it as a miss`,
    );
    return operation === 'read' ? this.#recent.get(target.key)?.access : undefined;
  }

  #afterLookup(
    target: GrantTarget,
    seq: number,
    entry: TokenCacheEntry | undefined,
    forced: boolean,
    source: TokenSource,
  ): Promise<TokenResult> {
    const now = this.#options.now();
    if (
      !forced &&
      entry !== undefined &&
      (now < entry.refreshAt ||
        (now < entry.expiresAt && now < (this.#refreshPaused.get(target.key) ?? 0)))
    ) {
      this.#metrics.recordCacheHit();
      return Promise.resolve(this.result(entry));
    }
    this.#metrics.recordCacheMiss();
    const reason: AcquisitionReason = forced
      ? 'forced'
      : entry === undefined
        ? 'cold'
        : now < entry.expiresAt
          ? 'proactive'
          : 'expired';
    return this.#acquireShared(target, seq, entry, reason, source);
  }

  #acquireShared(
    target: GrantTarget,
    seq: number,
    previous: TokenCacheEntry | undefined,
    reason: AcquisitionReason,
    source: TokenSource,
  ): Promise<TokenResult> {
    const running = this.#inflight.get(target.key);
    if (running !== undefined) return running;
    // A lookup that began before another acquisition for this key finished may have read the
    // cache before that token was stored; the token is as new as the caller asked for.
    const recent = this.#recent.get(target.key);
    if (recent !== undefined && recent.seq > seq && this.#options.now() < recent.access.refreshAt) {
      return Promise.resolve(this.result(recent.access));
    }
    const promise = source.acquire(target, previous, reason).finally(() => {
      if (this.#inflight.get(target.key) === promise) this.#inflight.delete(target.key);
    });
    this.#inflight.set(target.key, promise);
    return promise;
  }

  /** The (frozen, memoized) result that hands out `entry`. */
  result(entry: TokenCacheEntry): TokenResult {
    let result = this.#results.get(entry);
    if (result === undefined) {
      result = Object.freeze({
        ok: true,
        token: new AccessToken(entry.accessToken, entry.expiresAt, entry.scope),
      });
      this.#results.set(entry, result);
    }
    return result;
  }

  /**
   * The key's refresh token: from the cache (another replica may have rotated it), else what this
   * process last stored when the cache fails. One the service clock says expired is no use.
   */
  async refreshToken(target: Target): Promise<RefreshTokenEntry | undefined> {
    let refresh: RefreshTokenEntry | undefined;
    try {
      refresh = await this.#options.cache.get('refresh', target.key);
    } catch (error) {
      this.#cacheFailed(target, 'refresh token read', error);
      refresh = this.#recent.get(target.key)?.refresh;
    }
    return refresh?.expiresAt !== undefined && refresh.expiresAt <= this.#options.now()
      ? undefined
      : refresh;
  }

  /** A refresh token the server refused is useless: forget it, keep the access token. */
  async dropRefreshToken(target: Target, correlationId: string): Promise<void> {
    const recent = this.#recent.get(target.key);
    if (recent !== undefined) this.#recent.set(target.key, { ...recent, refresh: undefined });
    try {
      await this.#options.cache.delete(target.key, 'refresh');
    } catch (error) {
      this.#options.logger.warn(
        { ...logFields(target, correlationId), code: 'cache-error', reason: reasonOf(error) },
        'token cache delete of a refused refresh token failed',
      );
    }
  }

  /**
   * Serves the key's current token as is until `until` (service clock): its proactive refresh
   * failed while it still works, and the authorization server should not be asked on every call.
   */
  pauseRefresh(target: Target, until: number): void {
    this.#refreshPaused.set(target.key, until);
  }

  /**
   * Caches a token set: the access token for exactly its lifetime, the refresh token apart for
   * its own (`refresh_expires_in`, else `refreshTokenRetentionMs` from now).
   */
  async store(target: Target, tokens: TokenSet, correlationId: string): Promise<void> {
    const now = this.#options.now();
    const { access, refresh } = tokens;
    this.#recent.set(target.key, { seq: ++this.#seq, access, refresh });
    this.#refreshPaused.delete(target.key);
    if (this.#recent.size > MAX_RECENT) {
      for (const [key, value] of this.#recent)
        if (value.access.expiresAt <= now && value.refresh === undefined) this.#recent.delete(key);
      // Only a fallback for when the cache fails: past the bound, the oldest go.
      for (const key of this.#recent.keys()) {
        if (this.#recent.size <= MAX_RECENT) break;
        this.#recent.delete(key);
      }
    }
    this.#metrics.trackToken(target.key, access.expiresAt);
    const { cache } = this.#options;
    const writes: [string, () => void | Promise<void>][] = [
      ['token', () => cache.set('access', target.key, access, access.expiresAt - now)],
    ];
    if (refresh !== undefined) {
      const until = refresh.expiresAt ?? now + this.#options.refreshTokenRetentionMs;
      writes.push(['refresh token', () => cache.set('refresh', target.key, refresh, until - now)]);
    }
    for (const [what, write] of writes) {
      try {
        await write();
      } catch (error) {
        this.#options.logger.warn(
          { ...logFields(target, correlationId), code: 'cache-error', reason: reasonOf(error) },
          `${what} cache write failed; it is kept in this process only`,
        );
      }
    }
  }

  /** Clears everything cached under the key, and returns what was there. */
  async forget(
    target: Target,
    correlationId: string,
  ): Promise<{ access?: TokenCacheEntry | undefined; refresh?: RefreshTokenEntry | undefined }> {
    const recent = this.#recent.get(target.key);
    let access = recent?.access;
    let refresh = recent?.refresh;
    const { cache } = this.#options;
    try {
      access = (await cache.get('access', target.key)) ?? access;
    } catch (error) {
      this.#cacheFailed(target, 'read', error);
    }
    try {
      refresh = (await cache.get('refresh', target.key)) ?? refresh;
    } catch (error) {
      this.#cacheFailed(target, 'refresh token read', error);
    }
    this.#recent.delete(target.key);
    this.#refreshPaused.delete(target.key);
    this.#metrics.trackToken(target.key, undefined);
    try {
      await cache.delete(target.key);
    } catch {
      this.#options.logger.warn(
        { ...logFields(target, correlationId), code: 'cache-error' },
        'token cache delete failed',
      );
    }
    return { access, refresh };
  }
}
