import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { LogFields } from '@etdi/core';
import type { Dispatcher } from 'undici';
import { AccessToken, type TokenResult } from './access-token.js';
import type { RefreshTokenEntry, TokenCacheEntry } from './cache/types.js';
import { prepareConfig, type PreparedConfig } from './config/prepare.js';
import type { OAuthConfig } from './config/types.js';
import { OAuthError } from './errors.js';
import { postForm, type EndpointResponse } from './http/endpoint.js';
import { scrub } from './http/scrub.js';
import { OAuthMetrics } from './metrics.js';
import {
  resolveServiceOptions,
  type OAuthServiceOptions,
  type ResolvedServiceOptions,
} from './options.js';
import { createPkcePair } from './pkce.js';
import { missingScopes } from './scope.js';
import { parseTokenResponse, type TokenResponse } from './token-response.js';

/** Options of {@link OAuthService.getAccessToken} and the other per-upstream operations. */
export interface TokenRequestOptions {
  /**
   * Names the configuration in the cache key. Default: a fingerprint of what the token is for
   * (token URL, client id, scope, audience, resources, ...; no secrets), so replicas sharing a
   * Redis cache agree on it without coordination.
   */
  readonly configId?: string;
  /** Keeps tokens of different projects (tenants) apart. Default: none. */
  readonly projectId?: string;
}

/** Options of {@link OAuthService.getAccessToken}. */
export interface GetAccessTokenOptions extends TokenRequestOptions {
  /**
   * Skip the cache and get a new token (with the refresh token when there is one): for when the
   * upstream rejected the cached token. Concurrent forced calls still share one acquisition.
   */
  readonly forceRefresh?: boolean;
}

/** Options of {@link OAuthService.createAuthorizationUrl}. */
export interface AuthorizationUrlOptions extends TokenRequestOptions {
  /**
   * The user's browser session: its session id, or any unguessable value the host keeps for this
   * browser (an HttpOnly cookie). Required. {@link OAuthService.completeAuthorization} accepts
   * the callback only with the same value, which ties `state` to the browser that started the
   * flow: a callback carrying someone else's `state` (login CSRF) is refused. Stored hashed.
   */
  readonly session: string;
}

/** An authorization the gateway started: send the user's browser to `url`. */
export interface AuthorizationRequest {
  readonly url: string;
  /** The `state` the callback brings back (the service already tied it to the session). */
  readonly state: string;
  /** After this (service clock, ms since the epoch) the callback is refused. */
  readonly expiresAt: number;
}

/** The redirect the authorization server sent the browser back with. */
export type AuthorizationCallback =
  string | URL | URLSearchParams | Readonly<Record<string, string | undefined>>;

/** Options of {@link OAuthService.completeAuthorization}. */
export interface CompleteAuthorizationOptions {
  /**
   * The session of the browser the callback arrived from: the same value given to
   * `createAuthorizationUrl`. Required; a callback from another session is refused with
   * `state-mismatch` and the flow stays open for its own session.
   */
  readonly session: string;
}

/** Token types of RFC 7009 `token_type_hint`. */
export type RevokedTokenType = 'access_token' | 'refresh_token';

/** What {@link OAuthService.revoke} resolves to. The cache entry is cleared in both cases. */
export type RevocationResult =
  | { readonly ok: true; readonly revoked: readonly RevokedTokenType[] }
  | { readonly ok: false; readonly error: OAuthError };

interface Target {
  readonly server: string;
  readonly configId: string;
  readonly projectId: string | undefined;
  readonly key: string;
  readonly prepared: PreparedConfig;
}

interface PendingAuthorization {
  readonly target: Target;
  readonly verifier: string | undefined;
  readonly expiresAt: number;
  /** SHA-256 (hex) of the session that started the flow. */
  readonly session: string;
}

type Reason = 'cold' | 'expired' | 'proactive' | 'forced' | 'authorization';

/** What one token response leaves to cache: the access token and, apart, the refresh token. */
interface TokenSet {
  readonly access: TokenCacheEntry;
  readonly refresh: RefreshTokenEntry | undefined;
}

/** What this process last stored for a key, with the sequence number of when. */
interface RecentTokens extends TokenSet {
  readonly seq: number;
}

function cacheKey(server: string, configId: string, projectId: string | undefined): string {
  // A JSON array: no choice of names can make two different triples collide, and "no project"
  // (null) stays apart from the empty project id ("").
  return JSON.stringify([server, configId, projectId ?? null]);
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function callbackParams(callback: AuthorizationCallback): URLSearchParams {
  if (callback instanceof URLSearchParams) return callback;
  if (callback instanceof URL) return callback.searchParams;
  if (typeof callback === 'string') {
    // An absolute URL, a request path with its query (Fastify's `request.url`), or a bare query.
    if (/^[a-z][a-z0-9+.-]*:/i.test(callback)) return new URL(callback).searchParams;
    const query = callback.includes('?') ? callback.slice(callback.indexOf('?') + 1) : callback;
    const hash = query.indexOf('#');
    return new URLSearchParams(hash < 0 ? query : query.slice(0, hash));
  }
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(callback))
    if (value !== undefined) params.set(name, value);
  return params;
}

function sessionDigest(session: string): string {
  return createHash('sha256').update('etdi-oauth-session\0').update(session).digest('hex');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The gateway's own upstream OAuth token service: it obtains, caches, refreshes and revokes the
 * tokens the gateway presents to upstream MCP servers. It never sees, and never forwards, the
 * caller's token.
 *
 * - Cache first, keyed by server, configuration and project; the cached path does no I/O with
 *   the in-memory store.
 * - Concurrent requests for one key share one acquisition (no stampede on a cold cache).
 * - Proactive refresh inside `tokenExpiryBuffer` of expiry, with the refresh token when there is
 *   one; if that fails while the old token is still valid, the old token is served.
 * - Retries network errors, timeouts, 5xx and 429 with backoff and `Retry-After`; never 4xx.
 * - Authorization code + PKCE (S256), refresh token grant, scope validation, RFC 7009
 *   revocation, RFC 8705 mTLS, metrics.
 *
 * Create it with {@link createOAuthService}.
 */
export class OAuthService {
  /** Counters, latency and active tokens; `metrics.toPrometheus()` for scraping. */
  readonly metrics: OAuthMetrics;
  readonly #options: ResolvedServiceOptions;
  readonly #prepared = new WeakMap<object, PreparedConfig>();
  readonly #keys = new WeakMap<
    PreparedConfig,
    Map<string, Map<string, Map<string | undefined, string>>>
  >();
  readonly #agents = new Set<Dispatcher>();
  readonly #inflight = new Map<string, Promise<TokenResult>>();
  /** The last token each key got here, with the sequence number of when it was stored. */
  readonly #recent = new Map<string, RecentTokens>();
  readonly #results = new WeakMap<TokenCacheEntry, TokenResult>();
  /** Pending authorizations by `state`, oldest first. */
  readonly #pending = new Map<string, PendingAuthorization>();
  /** The pending `state`s of each session (by digest), oldest first. */
  readonly #pendingBySession = new Map<string, string[]>();
  /** Keys whose proactive refresh failed, and until when the current token is served as is. */
  readonly #refreshPaused = new Map<string, number>();
  #seq = 0;

  constructor(options: OAuthServiceOptions = {}) {
    this.#options = resolveServiceOptions(options);
    this.metrics = new OAuthMetrics({
      latencySamples: this.#options.latencySamples,
      now: this.#options.now,
    });
  }

  /**
   * Validates `config` and loads its mTLS files now, so that a bad configuration stops the
   * gateway at start-up rather than failing requests later. Idempotent per config object;
   * `getAccessToken` calls it on first use of an object it has not seen.
   *
   * @throws {OAuthError} `invalid-config`, `insecure-url` or `mtls-unavailable`.
   */
  prepare(config: OAuthConfig): void {
    this.#prepare(config);
  }

  #prepare(config: OAuthConfig): PreparedConfig {
    let prepared = this.#prepared.get(config);
    if (prepared !== undefined) return prepared;
    prepared = prepareConfig(config, this.#options.now());
    if (prepared.dispatcher !== undefined) this.#agents.add(prepared.dispatcher);
    if (prepared.enabled && !prepared.enforceHttps) {
      this.#options.logger.warn(
        { configId: prepared.fingerprint, authorizationServer: new URL(prepared.tokenUrl).origin },
        'enforceHttps is off: client credentials and tokens may cross the network in clear',
      );
    }
    this.#prepared.set(config, prepared);
    return prepared;
  }

  #target(server: string, config: OAuthConfig, options: TokenRequestOptions): Target {
    const prepared = this.#prepare(config);
    const configId = options.configId ?? prepared.fingerprint;
    const key = this.#cacheKey(prepared, server, configId, options.projectId);
    return { server, configId, projectId: options.projectId, key, prepared };
  }

  /**
   * The cache key, memoized per (configuration, configId, server, project) in nested maps keyed
   * by the caller's own strings: their hashes are already computed, and the store then gets the
   * same key instance every time. A freshly concatenated key would be flattened and hashed on
   * every call, which was most of the cost of a cache hit.
   */
  #cacheKey(
    prepared: PreparedConfig,
    server: string,
    configId: string,
    projectId: string | undefined,
  ): string {
    let byConfigId = this.#keys.get(prepared);
    if (byConfigId === undefined) {
      byConfigId = new Map();
      this.#keys.set(prepared, byConfigId);
    }
    let byServer = byConfigId.get(configId);
    if (byServer === undefined) {
      byServer = new Map();
      byConfigId.set(configId, byServer);
    }
    let byProject = byServer.get(server);
    if (byProject === undefined) {
      byProject = new Map();
      byServer.set(server, byProject);
    }
    // `undefined` (no project) is a key of its own, apart from ''.
    let key = byProject.get(projectId);
    if (key === undefined) {
      // Bound the memo (not the cache) for hosts with unbounded project ids.
      if (byProject.size >= 10_000) byProject.clear();
      key = cacheKey(server, configId, projectId);
      byProject.set(projectId, key);
    }
    return key;
  }

  /**
   * A token for `server` under `config`: from the cache when one is there and not due for
   * refresh, otherwise from the authorization server. Never rejects: failures resolve to
   * `{ ok: false, error }` with an {@link OAuthError} whose message holds no secret.
   *
   * The configuration object is validated once and remembered by identity, so pass the same
   * object on every call (the gateway's parsed upstream configuration).
   *
   * @example
   * const result = await oauth.getAccessToken('github', config, { projectId: 'acme' });
   * if (!result.ok) return reply.code(502).send({ error: result.error.code });
   * headers.authorization = result.token.authorization;
   */
  getAccessToken(
    server: string,
    config: OAuthConfig,
    options: GetAccessTokenOptions = {},
  ): Promise<TokenResult> {
    let target: Target;
    try {
      target = this.#target(server, config, options);
    } catch (error) {
      return Promise.resolve({ ok: false, error: OAuthError.from(error) });
    }
    if (!target.prepared.enabled) {
      return Promise.resolve({
        ok: false,
        error: new OAuthError('disabled', `OAuth is disabled for server "${server}"`),
      });
    }
    const seq = ++this.#seq;
    // A forced refresh still reads the entry: its refresh token (perhaps stored by another
    // replica) is cheaper to use than a new grant.
    const forced = options.forceRefresh === true;
    let lookup: TokenCacheEntry | undefined | Promise<TokenCacheEntry | undefined>;
    try {
      lookup = this.#options.cache.get(target.key);
    } catch (error) {
      return this.#afterLookup(target, seq, this.#cacheFailed(target, 'read', error), forced);
    }
    if (isThenable(lookup)) {
      return lookup.then(
        (entry) => this.#afterLookup(target, seq, entry, forced),
        (error: unknown) =>
          this.#afterLookup(target, seq, this.#cacheFailed(target, 'read', error), forced),
      );
    }
    return this.#afterLookup(target, seq, lookup, forced);
  }

  /** Logs a cache failure and returns what this process last stored for the key, if anything. */
  #cacheFailed(target: Target, operation: string, error: unknown): TokenCacheEntry | undefined {
    this.#options.logger.warn(
      {
        server: target.server,
        projectId: target.projectId,
        configId: target.configId,
        code: 'cache-error',
        reason: error instanceof Error ? error.message : String(error),
      },
      `token cache ${operation} failed; treating it as a miss`,
    );
    return operation === 'read' ? this.#recent.get(target.key)?.access : undefined;
  }

  #afterLookup(
    target: Target,
    seq: number,
    entry: TokenCacheEntry | undefined,
    forced: boolean,
  ): Promise<TokenResult> {
    const now = this.#options.now();
    if (
      !forced &&
      entry !== undefined &&
      (now < entry.refreshAt ||
        (now < entry.expiresAt && now < (this.#refreshPaused.get(target.key) ?? 0)))
    ) {
      this.metrics.recordCacheHit();
      return Promise.resolve(this.#result(entry));
    }
    this.metrics.recordCacheMiss();
    const reason: Reason = forced
      ? 'forced'
      : entry === undefined
        ? 'cold'
        : now < entry.expiresAt
          ? 'proactive'
          : 'expired';
    return this.#acquireShared(target, seq, entry, reason);
  }

  #result(entry: TokenCacheEntry): TokenResult {
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

  #acquireShared(
    target: Target,
    seq: number,
    previous: TokenCacheEntry | undefined,
    reason: Reason,
  ): Promise<TokenResult> {
    const running = this.#inflight.get(target.key);
    if (running !== undefined) return running;
    // A lookup that began before another acquisition for this key finished may have read the
    // cache before that token was stored; the token is as new as the caller asked for.
    const recent = this.#recent.get(target.key);
    if (recent !== undefined && recent.seq > seq && this.#options.now() < recent.access.refreshAt) {
      return Promise.resolve(this.#result(recent.access));
    }
    const promise = this.#acquire(target, previous, reason).finally(() => {
      if (this.#inflight.get(target.key) === promise) this.#inflight.delete(target.key);
    });
    this.#inflight.set(target.key, promise);
    return promise;
  }

  /**
   * Milliseconds since `started`, by the service clock (so tests drive latency with it). Never
   * negative: a wall clock stepped back must not make a latency sample below zero.
   */
  #elapsedSince(started: number): number {
    return Math.max(0, this.#options.now() - started);
  }

  #logFields(target: Target, correlationId: string): LogFields {
    return {
      correlationId,
      server: target.server,
      projectId: target.projectId,
      configId: target.configId,
      grantType: target.prepared.grantType,
    };
  }

  /** Form parameters of client authentication in the body (client_secret_post, public, mTLS). */
  #clientAuth(form: URLSearchParams, prepared: PreparedConfig): void {
    if (prepared.headers['authorization'] !== undefined) return; // client_secret_basic
    form.set('client_id', prepared.clientId);
    if (prepared.secretInBody) form.set('client_secret', prepared.clientSecret!);
  }

  async #tokenRequest(
    target: Target,
    form: URLSearchParams,
    correlationId: string,
    secrets: readonly string[],
  ): Promise<EndpointResponse> {
    const { prepared } = target;
    this.#clientAuth(form, prepared);
    return postForm(
      {
        what: 'token endpoint',
        url: prepared.tokenUrl,
        form,
        headers: prepared.headers,
        dispatcher: prepared.dispatcher ?? this.#options.dispatcher,
        correlationId,
        logger: this.#options.logger,
        logFields: this.#logFields(target, correlationId),
        secrets: [...prepared.secrets, ...secrets],
      },
      this.#options,
    );
  }

  #grantForm(prepared: PreparedConfig, grantType: string): URLSearchParams {
    const form = new URLSearchParams({ grant_type: grantType });
    if (prepared.scope !== '') form.set('scope', prepared.scope);
    for (const resource of prepared.resources) form.append('resource', resource);
    return form;
  }

  /** The request of a new grant (not a refresh of a cached token). */
  #freshGrantForm(target: Target, failedRefreshToken: string | undefined): URLSearchParams {
    const { prepared, server } = target;
    switch (prepared.grantType) {
      case 'client_credentials': {
        const form = this.#grantForm(prepared, 'client_credentials');
        if (prepared.audience !== undefined) form.set('audience', prepared.audience);
        if (prepared.organization !== undefined) form.set('organization', prepared.organization);
        for (const [name, value] of prepared.additionalParams) form.set(name, value);
        return form;
      }
      case 'refresh_token': {
        if (prepared.refreshToken === failedRefreshToken) {
          throw new OAuthError(
            'invalid-grant',
            `the configured refresh token for server "${server}" was refused; provision a new one`,
          );
        }
        const form = this.#grantForm(prepared, 'refresh_token');
        form.set('refresh_token', prepared.refreshToken!);
        for (const [name, value] of prepared.additionalParams) form.set(name, value);
        return form;
      }
      case 'authorization_code':
        throw new OAuthError(
          'authorization-required',
          `no usable token for server "${server}": a user must authorize the gateway first ` +
            '(createAuthorizationUrl, then completeAuthorization)',
        );
    }
  }

  /**
   * The key's refresh token: from the cache (another replica may have rotated it), else what this
   * process last stored when the cache fails. One the service clock says expired is no use.
   */
  async #refreshTokenOf(target: Target): Promise<RefreshTokenEntry | undefined> {
    let refresh: RefreshTokenEntry | undefined;
    try {
      refresh = await this.#options.cache.getRefreshToken(target.key);
    } catch (error) {
      this.#cacheFailed(target, 'refresh token read', error);
      refresh = this.#recent.get(target.key)?.refresh;
    }
    return refresh?.expiresAt !== undefined && refresh.expiresAt <= this.#options.now()
      ? undefined
      : refresh;
  }

  async #acquire(
    target: Target,
    previous: TokenCacheEntry | undefined,
    reason: Reason,
  ): Promise<TokenResult> {
    const correlationId = randomUUID();
    const fields = this.#logFields(target, correlationId);
    const { logger } = this.#options;
    const started = this.#options.now();
    logger.info({ ...fields, reason }, 'acquiring token');
    const secrets: string[] = [];
    if (previous !== undefined) secrets.push(previous.accessToken);
    let response: EndpointResponse | undefined;
    let refreshedWith: RefreshTokenEntry | undefined;
    let usedRefreshToken: string | undefined;
    try {
      const refresh = await this.#refreshTokenOf(target);
      if (refresh !== undefined) secrets.push(refresh.refreshToken);
      const requestedAt = this.#options.now();
      if (refresh !== undefined) {
        const form = this.#grantForm(target.prepared, 'refresh_token');
        form.set('refresh_token', refresh.refreshToken);
        try {
          response = await this.#tokenRequest(target, form, correlationId, secrets);
          refreshedWith = refresh;
          usedRefreshToken = refresh.refreshToken;
        } catch (error) {
          if (!(error instanceof OAuthError) || error.code !== 'invalid-grant') throw error;
          logger.warn(
            { ...fields, code: error.code, status: error.status },
            'refresh token refused; dropping it and acquiring anew',
          );
          await this.#dropRefreshToken(target, correlationId);
        }
      }
      if (response === undefined) {
        const form = this.#freshGrantForm(target, refresh?.refreshToken);
        usedRefreshToken = form.get('refresh_token') ?? undefined;
        response = await this.#tokenRequest(target, form, correlationId, secrets);
      }
      const tokens = this.#toTokenSet(
        target,
        parseTokenResponse(response.body, 'token endpoint', correlationId),
        requestedAt,
        {
          refreshToken: usedRefreshToken,
          scope: refreshedWith?.scope,
          expiresAt: refreshedWith?.expiresAt,
        },
        correlationId,
      );
      await this.#store(target, tokens, correlationId);
      if (previous !== undefined || refreshedWith !== undefined) this.metrics.recordRefresh();
      this.metrics.recordAcquisition(true, this.#elapsedSince(started));
      logger.info(
        {
          ...fields,
          reason,
          viaRefreshToken: refreshedWith !== undefined,
          expiresInMs: tokens.access.expiresAt - requestedAt,
          scope: tokens.access.scope,
        },
        'token acquired',
      );
      return this.#result(tokens.access);
    } catch (thrown) {
      const error = OAuthError.from(thrown, correlationId);
      const withId =
        error.correlationId === undefined
          ? new OAuthError(error.code, error.message, {
              cause: error.cause,
              pointer: error.pointer,
              status: error.status,
              oauthError: error.oauthError,
              correlationId,
              attempts: error.attempts,
              retryAfterMs: error.retryAfterMs,
            })
          : error;
      this.metrics.recordAcquisition(false, this.#elapsedSince(started), withId.code);
      const failure = {
        ...fields,
        reason,
        code: withId.code,
        status: withId.status,
        oauthError: withId.oauthError,
        attempts: withId.attempts,
      };
      // A proactive refresh that failed leaves a token that still works: keep serving it until
      // it expires (a forced refresh means the upstream already rejected it, so not then).
      if (
        reason === 'proactive' &&
        previous !== undefined &&
        this.#options.now() < previous.expiresAt
      ) {
        const retryAt = Math.min(
          this.#options.now() + this.#options.refreshRetryIntervalMs,
          previous.expiresAt,
        );
        this.#refreshPaused.set(target.key, retryAt);
        logger.warn(
          { ...failure, retryInMs: retryAt - this.#options.now() },
          `token refresh failed; serving the current token until it expires: ${withId.message}`,
        );
        return this.#result(previous);
      }
      logger.error(failure, `token acquisition failed: ${withId.message}`);
      return { ok: false, error: withId };
    }
  }

  /** A refresh token the server refused is useless: forget it, keep the access token. */
  async #dropRefreshToken(target: Target, correlationId: string): Promise<void> {
    const recent = this.#recent.get(target.key);
    if (recent !== undefined) this.#recent.set(target.key, { ...recent, refresh: undefined });
    try {
      await this.#options.cache.deleteRefreshToken(target.key);
    } catch (error) {
      this.#options.logger.warn(
        {
          ...this.#logFields(target, correlationId),
          code: 'cache-error',
          reason: error instanceof Error ? error.message : String(error),
        },
        'token cache delete of a refused refresh token failed',
      );
    }
  }

  #toTokenSet(
    target: Target,
    response: TokenResponse,
    requestedAt: number,
    /** The refresh token the request redeemed: its value, scope and known expiry. */
    redeemed: {
      readonly refreshToken?: string | undefined;
      readonly scope?: string | undefined;
      readonly expiresAt?: number | undefined;
    },
    correlationId: string,
  ): TokenSet {
    const { prepared, server } = target;
    // RFC 6749 §5.1 / §6: an absent scope means "as requested" (or, on refresh, as before).
    const scope = response.scope ?? redeemed.scope ?? prepared.scope;
    const missing = missingScopes(prepared.scope, scope);
    if (missing.length > 0 && prepared.validateScopes !== 'off') {
      const message = `granted scope "${scope}" does not cover the requested "${prepared.scope}" (missing: ${missing.join(' ')})`;
      if (prepared.validateScopes === 'error') {
        throw new OAuthError('insufficient-scope', `${message} for server "${server}"`, {
          correlationId,
        });
      }
      this.#options.logger.warn(
        { ...this.#logFields(target, correlationId), code: 'insufficient-scope', missing },
        message,
      );
    }
    // The lifetime counts from when the request was sent: the token cannot be older than that.
    const lifetime =
      response.expiresIn === undefined
        ? this.#options.defaultTokenLifetimeMs
        : response.expiresIn * 1000;
    const expiresAt = requestedAt + lifetime;
    // Never let the buffer eat more than half the lifetime: a 60 s token with the default 300 s
    // buffer would otherwise be "due" at once and every request would fetch a new one.
    const refreshAt = expiresAt - Math.min(prepared.tokenExpiryBufferMs, lifetime / 2);
    const access: TokenCacheEntry = {
      accessToken: response.accessToken,
      tokenType: 'Bearer',
      expiresAt,
      refreshAt,
      obtainedAt: requestedAt,
      ...(scope === '' ? {} : { scope }),
    };
    // RFC 6749 §6: a refresh answer without a new refresh token leaves the old one valid, with
    // whatever expiry the server gave it before.
    const refreshToken = response.refreshToken ?? redeemed.refreshToken;
    if (refreshToken === undefined) return { access, refresh: undefined };
    const refreshExpiresAt =
      response.refreshExpiresIn !== undefined && response.refreshExpiresIn > 0
        ? requestedAt + response.refreshExpiresIn * 1000
        : response.refreshToken === undefined
          ? redeemed.expiresAt
          : undefined;
    const refresh: RefreshTokenEntry = {
      refreshToken,
      obtainedAt: requestedAt,
      ...(refreshExpiresAt === undefined ? {} : { expiresAt: refreshExpiresAt }),
      ...(scope === '' ? {} : { scope }),
    };
    return { access, refresh };
  }

  /**
   * Caches a token set: the access token for exactly its lifetime, the refresh token apart for
   * its own (`refresh_expires_in`, else `refreshTokenRetentionMs` from now).
   */
  async #store(target: Target, tokens: TokenSet, correlationId: string): Promise<void> {
    const now = this.#options.now();
    const { access, refresh } = tokens;
    this.#recent.set(target.key, { seq: ++this.#seq, access, refresh });
    this.#refreshPaused.delete(target.key);
    if (this.#recent.size > 10_000) {
      for (const [key, value] of this.#recent)
        if (value.access.expiresAt <= now && value.refresh === undefined) this.#recent.delete(key);
      // Only a fallback for when the cache fails: past the bound, the oldest go.
      for (const key of this.#recent.keys()) {
        if (this.#recent.size <= 10_000) break;
        this.#recent.delete(key);
      }
    }
    this.metrics.trackToken(target.key, access.expiresAt);
    const { cache } = this.#options;
    const writes: [string, () => void | Promise<void>][] = [
      ['token', () => cache.set(target.key, access, access.expiresAt - now)],
    ];
    if (refresh !== undefined) {
      const until = refresh.expiresAt ?? now + this.#options.refreshTokenRetentionMs;
      writes.push(['refresh token', () => cache.setRefreshToken(target.key, refresh, until - now)]);
    }
    for (const [what, write] of writes) {
      try {
        await write();
      } catch (error) {
        this.#options.logger.warn(
          {
            ...this.#logFields(target, correlationId),
            code: 'cache-error',
            reason: error instanceof Error ? error.message : String(error),
          },
          `${what} cache write failed; it is kept in this process only`,
        );
      }
    }
  }

  /**
   * Starts an authorization-code flow (RFC 6749 §4.1) with PKCE (RFC 7636, S256 by default) and
   * a random `state` bound to the user's browser session. Send the user's browser to `url`; hand
   * the redirect back to {@link completeAuthorization} with the same `session`. The verifier never
   * leaves the service.
   *
   * Pending authorizations live in this service instance: the callback must reach the same
   * gateway process (sticky routing) within `authorizationTtlMs`. Each session has at most
   * `maxPendingAuthorizationsPerSession` (starting one more replaces that session's oldest), and
   * the service at most `maxPendingAuthorizations`: only expired flows are ever dropped to make
   * room, so a flood of new flows cannot push out other users' pending ones; it is refused.
   *
   * @throws {OAuthError} `invalid-config`, `insecure-url`, `mtls-unavailable`;
   * `invalid-argument` when the configuration is not an authorization-code one or `session` is
   * missing; `too-many-authorizations` when `maxPendingAuthorizations` unexpired flows are pending.
   *
   * @example
   * app.get('/oauth/start', async (req, reply) => {
   *   const { url } = oauth.createAuthorizationUrl('github', config, { session: req.session.id });
   *   return reply.redirect(url);
   * });
   */
  createAuthorizationUrl(
    server: string,
    config: OAuthConfig,
    options: AuthorizationUrlOptions,
  ): AuthorizationRequest {
    // JavaScript callers may pass nothing at all.
    const given = (options as Partial<AuthorizationUrlOptions> | undefined) ?? {};
    const target = this.#target(server, config, given);
    const { prepared } = target;
    if (prepared.grantType !== 'authorization_code') {
      throw new OAuthError(
        'invalid-argument',
        `server "${server}" is configured for grantType "${prepared.grantType}", not "authorization_code"`,
      );
    }
    const { session } = given;
    if (typeof session !== 'string' || session === '') {
      throw new OAuthError(
        'invalid-argument',
        'createAuthorizationUrl needs "session" (the browser session the flow is bound to)',
      );
    }
    const now = this.#options.now();
    this.#dropExpiredAuthorizations(now);
    const digest = sessionDigest(session);
    const mine = this.#pendingBySession.get(digest) ?? [];
    // A session over its own cap loses its own oldest flow, never anyone else's.
    while (mine.length >= this.#options.maxPendingAuthorizationsPerSession) {
      this.#pending.delete(mine.shift()!);
    }
    if (this.#pending.size >= this.#options.maxPendingAuthorizations) {
      if (mine.length === 0) this.#pendingBySession.delete(digest);
      this.#options.logger.warn(
        { server, projectId: target.projectId, code: 'too-many-authorizations' },
        'authorization refused: too many pending authorizations',
      );
      throw new OAuthError(
        'too-many-authorizations',
        `${this.#options.maxPendingAuthorizations} authorizations are pending; try again once some complete or expire`,
      );
    }
    const state = randomBytes(32).toString('base64url');
    const pkce = prepared.usePkce ? createPkcePair(prepared.codeChallengeMethod) : undefined;
    const url = new URL(prepared.authorizationUrl!);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', prepared.clientId);
    url.searchParams.set('redirect_uri', prepared.redirectUri!);
    if (prepared.scope !== '') url.searchParams.set('scope', prepared.scope);
    url.searchParams.set('state', state);
    if (pkce !== undefined) {
      url.searchParams.set('code_challenge', pkce.challenge);
      url.searchParams.set('code_challenge_method', pkce.method);
    }
    for (const resource of prepared.resources) url.searchParams.append('resource', resource);
    if (prepared.audience !== undefined) url.searchParams.set('audience', prepared.audience);
    if (prepared.organization !== undefined) {
      url.searchParams.set('organization', prepared.organization);
    }
    const expiresAt = now + this.#options.authorizationTtlMs;
    this.#pending.set(state, { target, verifier: pkce?.verifier, expiresAt, session: digest });
    mine.push(state);
    this.#pendingBySession.set(digest, mine);
    this.#options.logger.info(
      {
        server,
        projectId: target.projectId,
        configId: target.configId,
        pkce: pkce?.method ?? 'none',
      },
      'authorization started',
    );
    return { url: url.toString(), state, expiresAt };
  }

  /** Forgets expired pending authorizations (the oldest first; nothing unexpired). */
  #dropExpiredAuthorizations(now: number): void {
    for (const [state, pending] of this.#pending) {
      if (pending.expiresAt <= now) this.#forgetAuthorization(state, pending);
    }
  }

  #forgetAuthorization(state: string, pending: PendingAuthorization): void {
    this.#pending.delete(state);
    const states = this.#pendingBySession.get(pending.session);
    if (states === undefined) return;
    const at = states.indexOf(state);
    if (at >= 0) states.splice(at, 1);
    if (states.length === 0) this.#pendingBySession.delete(pending.session);
  }

  /**
   * Finishes an authorization-code flow: checks `state` (known, unexpired, unused, and started
   * by this `session`), exchanges the code with the PKCE verifier, validates the scope and
   * caches the token under the server, configuration and project the flow began with. Resolves
   * to `{ ok: false, error }` with `state-mismatch`, `authorization-denied` or any token endpoint code;
   * never rejects.
   *
   * @example
   * app.get('/oauth/callback', async (req, reply) => {
   *   const result = await oauth.completeAuthorization(req.url, { session: req.session.id });
   *   return result.ok ? reply.send('ok') : reply.code(400).send({ error: result.error.code });
   * });
   */
  async completeAuthorization(
    callback: AuthorizationCallback,
    options: CompleteAuthorizationOptions,
  ): Promise<TokenResult> {
    let params: URLSearchParams;
    try {
      params = callbackParams(callback);
    } catch (error) {
      return {
        ok: false,
        error: new OAuthError('invalid-argument', 'authorization callback is not a URL', {
          cause: error,
        }),
      };
    }
    const state = params.get('state');
    const mismatch = (why: string): TokenResult => {
      this.#options.logger.warn(
        { code: 'state-mismatch' },
        `authorization callback refused: ${why}`,
      );
      return {
        ok: false,
        error: new OAuthError('state-mismatch', `authorization callback refused: ${why}`),
      };
    };
    const session = (options as Partial<CompleteAuthorizationOptions> | undefined)?.session;
    if (typeof session !== 'string' || session === '') {
      return mismatch('no "session" to tie the callback to the browser that started the flow');
    }
    if (state === null) return mismatch('no "state" parameter');
    const pending = this.#pending.get(state);
    if (pending === undefined) return mismatch('unknown or already used "state"');
    if (this.#options.now() >= pending.expiresAt) {
      this.#forgetAuthorization(state, pending);
      return mismatch('the authorization expired');
    }
    if (!sameString(pending.session, sessionDigest(session))) {
      // Not consumed: the flow belongs to another session, which may still complete it.
      return mismatch('"state" was not started by this session');
    }
    this.#forgetAuthorization(state, pending); // a state is good for one callback only

    const { target } = pending;
    const denied = params.get('error');
    if (denied !== null) {
      const secrets = target.prepared.secrets;
      const description = params.get('error_description');
      const detail =
        scrub(denied, secrets) + (description === null ? '' : `: ${scrub(description, secrets)}`);
      this.#options.logger.warn(
        { server: target.server, projectId: target.projectId, code: 'authorization-denied' },
        `authorization denied (${detail})`,
      );
      return {
        ok: false,
        error: new OAuthError(
          'authorization-denied',
          `authorization denied for server "${target.server}" (${detail})`,
          {
            oauthError: scrub(denied, secrets),
          },
        ),
      };
    }
    const code = params.get('code');
    if (code === null || code === '') {
      return {
        ok: false,
        error: new OAuthError(
          'invalid-argument',
          'authorization callback has neither "code" nor "error"',
        ),
      };
    }
    return this.#exchangeCode(target, code, pending.verifier);
  }

  async #exchangeCode(
    target: Target,
    code: string,
    verifier: string | undefined,
  ): Promise<TokenResult> {
    const correlationId = randomUUID();
    const fields = this.#logFields(target, correlationId);
    const started = this.#options.now();
    const secrets = verifier === undefined ? [code] : [code, verifier];
    this.#options.logger.info(
      { ...fields, reason: 'authorization' },
      'exchanging authorization code',
    );
    try {
      const requestedAt = this.#options.now();
      const form = new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: target.prepared.redirectUri!,
      });
      if (verifier !== undefined) form.set('code_verifier', verifier);
      for (const resource of target.prepared.resources) form.append('resource', resource);
      const response = await this.#tokenRequest(target, form, correlationId, secrets);
      const tokens = this.#toTokenSet(
        target,
        parseTokenResponse(response.body, 'token endpoint', correlationId),
        requestedAt,
        {},
        correlationId,
      );
      // A new consent replaces the old one: a refresh token from before must not outlive it.
      if (tokens.refresh === undefined) await this.#dropRefreshToken(target, correlationId);
      await this.#store(target, tokens, correlationId);
      this.metrics.recordAcquisition(true, this.#elapsedSince(started));
      this.#options.logger.info(
        { ...fields, reason: 'authorization', scope: tokens.access.scope },
        'token acquired',
      );
      return this.#result(tokens.access);
    } catch (thrown) {
      const error = OAuthError.from(thrown, correlationId);
      this.metrics.recordAcquisition(false, this.#elapsedSince(started), error.code);
      this.#options.logger.error(
        { ...fields, code: error.code, status: error.status, oauthError: error.oauthError },
        `authorization code exchange failed: ${error.message}`,
      );
      return { ok: false, error };
    }
  }

  /**
   * Revokes the cached access and refresh tokens at the configuration's `revocationUrl`
   * (RFC 7009; the refresh token first, since revoking it may revoke its access tokens too) and
   * clears the cache entry. The entry is cleared even when the endpoint fails, so the service
   * never hands out a token it was told to give up. Without a `revocationUrl` it only clears.
   */
  async revoke(
    server: string,
    config: OAuthConfig,
    options: TokenRequestOptions = {},
  ): Promise<RevocationResult> {
    let target: Target;
    try {
      target = this.#target(server, config, options);
    } catch (error) {
      return { ok: false, error: OAuthError.from(error) };
    }
    const correlationId = randomUUID();
    const fields = this.#logFields(target, correlationId);
    const { access, refresh } = await this.#forget(target, correlationId);
    const { prepared } = target;
    if (access === undefined && refresh === undefined) {
      this.#options.logger.info(fields, 'nothing cached to revoke');
      return { ok: true, revoked: [] };
    }
    if (prepared.revocationUrl === undefined) {
      this.#options.logger.warn(
        fields,
        'no revocationUrl: token dropped from the cache but not revoked',
      );
      return { ok: true, revoked: [] };
    }
    const tokens: [RevokedTokenType, string][] = [];
    if (refresh !== undefined) tokens.push(['refresh_token', refresh.refreshToken]);
    if (access !== undefined) tokens.push(['access_token', access.accessToken]);
    const secrets = tokens.map(([, token]) => token);
    const revoked: RevokedTokenType[] = [];
    for (const [hint, token] of tokens) {
      const form = new URLSearchParams({ token, token_type_hint: hint });
      this.#clientAuth(form, prepared);
      try {
        await postForm(
          {
            what: 'revocation endpoint',
            url: prepared.revocationUrl,
            form,
            headers: prepared.headers,
            dispatcher: prepared.dispatcher ?? this.#options.dispatcher,
            correlationId,
            logger: this.#options.logger,
            logFields: fields,
            secrets: [...prepared.secrets, ...secrets],
          },
          this.#options,
        );
        revoked.push(hint);
        this.metrics.recordRevocation();
      } catch (thrown) {
        const cause = OAuthError.from(thrown, correlationId);
        if (cause.code === 'internal-error') {
          // Not the endpoint's answer: a bug or a dependency fault, reported as what it is.
          this.#options.logger.error(
            { ...fields, code: cause.code, hint },
            `revocation failed: ${cause.message}`,
          );
          return { ok: false, error: cause };
        }
        this.#options.logger.error(
          { ...fields, code: 'revocation-failed', cause: cause.code, status: cause.status, hint },
          `revocation failed: ${cause.message}`,
        );
        return {
          ok: false,
          error: new OAuthError(
            'revocation-failed',
            `could not revoke the ${hint}: ${cause.message}`,
            {
              cause,
              status: cause.status,
              oauthError: cause.oauthError,
              correlationId,
              attempts: cause.attempts,
            },
          ),
        };
      }
    }
    this.#options.logger.info({ ...fields, revoked }, 'token revoked');
    return { ok: true, revoked };
  }

  /**
   * Drops the cached token without telling the authorization server, so the next
   * `getAccessToken` acquires a new one.
   */
  async invalidate(
    server: string,
    config: OAuthConfig,
    options: TokenRequestOptions = {},
  ): Promise<void> {
    const target = this.#target(server, config, options);
    await this.#forget(target, randomUUID());
  }

  /** Clears everything cached under the key, and returns what was there. */
  async #forget(
    target: Target,
    correlationId: string,
  ): Promise<{ access?: TokenCacheEntry | undefined; refresh?: RefreshTokenEntry | undefined }> {
    const recent = this.#recent.get(target.key);
    let access = recent?.access;
    let refresh = recent?.refresh;
    const { cache } = this.#options;
    try {
      access = (await cache.get(target.key)) ?? access;
    } catch (error) {
      this.#cacheFailed(target, 'read', error);
    }
    try {
      refresh = (await cache.getRefreshToken(target.key)) ?? refresh;
    } catch (error) {
      this.#cacheFailed(target, 'refresh token read', error);
    }
    this.#recent.delete(target.key);
    this.#refreshPaused.delete(target.key);
    this.metrics.trackToken(target.key, undefined);
    try {
      await cache.delete(target.key);
    } catch {
      this.#options.logger.warn(
        { ...this.#logFields(target, correlationId), code: 'cache-error' },
        'token cache delete failed',
      );
    }
    return { access, refresh };
  }

  /**
   * Closes the mTLS agents this service opened and forgets pending authorizations. The cache is
   * the caller's: close it yourself (`RedisTokenCache.close()`).
   */
  async close(): Promise<void> {
    this.#pending.clear();
    this.#pendingBySession.clear();
    const agents = [...this.#agents];
    this.#agents.clear();
    await Promise.all(agents.map((agent) => agent.close()));
  }
}
