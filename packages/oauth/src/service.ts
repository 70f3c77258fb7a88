import { randomUUID } from 'node:crypto';
import type { TokenResult } from './access-token.js';
import type { OAuthConfig } from './config/schema.js';
import { OAuthError } from './errors.js';
import { OAuthMetrics } from './metrics.js';
import { resolveServiceOptions, type OAuthServiceOptions } from './options.js';
import {
  PendingAuthorizations,
  type AuthorizationRequest,
  type AuthorizationCallback,
  type AuthorizationUrlOptions,
  type CompleteAuthorizationOptions,
} from './service/pending-authorizations.js';
import { Revocation, type RevocationResult } from './service/revocation.js';
import {
  Targets,
  isCodeFlow,
  isEnabled,
  type Target,
  type TokenRequestOptions,
} from './service/target.js';
import { TokenAcquisition } from './service/token-acquisition.js';
import { TokenStore } from './service/token-store.js';

/** Options of {@link OAuthService.getAccessToken}. */
export interface GetAccessTokenOptions extends TokenRequestOptions {
  /**
   * Skip the cache and get a new token (with the refresh token when there is one): for when the
   * upstream rejected the cached token. Concurrent forced calls still share one acquisition.
   */
  readonly forceRefresh?: boolean;
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
  /** Prepared configurations, their mTLS agents and cache keys. */
  readonly #targets: Targets;
  /** Cache first, the in-process fallback, single flight. */
  readonly #store: TokenStore;
  /** Grants and the token endpoint. */
  readonly #acquisition: TokenAcquisition;
  /** Authorization-code flows waiting for their callback. */
  readonly #authorizations: PendingAuthorizations;
  readonly #revocation: Revocation;

  constructor(options: OAuthServiceOptions = {}) {
    const resolved = resolveServiceOptions(options);
    this.metrics = new OAuthMetrics({ latencySamples: resolved.latencySamples, now: resolved.now });
    this.#targets = new Targets(resolved);
    this.#store = new TokenStore(resolved, this.metrics);
    const context = { options: resolved, metrics: this.metrics, store: this.#store };
    this.#acquisition = new TokenAcquisition(context);
    this.#authorizations = new PendingAuthorizations(resolved);
    this.#revocation = new Revocation(context);
  }

  /** The target of an operation that never throws: a bad configuration is a result too. */
  #resolve(
    server: string,
    config: OAuthConfig,
    options: TokenRequestOptions,
  ):
    | { readonly ok: true; readonly target: Target }
    | { readonly ok: false; readonly error: OAuthError } {
    try {
      return { ok: true, target: this.#targets.resolve(server, config, options) };
    } catch (error) {
      return { ok: false, error: OAuthError.from(error) };
    }
  }

  /**
   * Validates `config` and loads its mTLS files now, so that a bad configuration stops the
   * gateway at start-up rather than failing requests later. Idempotent per config object;
   * `getAccessToken` calls it on first use of an object it has not seen.
   *
   * @throws {OAuthError} `invalid-config`, `insecure-url` or `mtls-unavailable`.
   */
  prepare(config: OAuthConfig): void {
    this.#targets.prepare(config);
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
    const resolved = this.#resolve(server, config, options);
    if (!resolved.ok) return Promise.resolve(resolved);
    const { target } = resolved;
    if (!isEnabled(target)) {
      return Promise.resolve({
        ok: false,
        error: new OAuthError('disabled', `OAuth is disabled for server "${server}"`),
      });
    }
    return this.#store.get(target, options.forceRefresh === true, this.#acquisition);
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
    const target = this.#targets.resolve(server, config, given);
    if (!isCodeFlow(target)) {
      const { prepared } = target;
      throw prepared.enabled
        ? new OAuthError(
            'invalid-argument',
            `server "${server}" is configured for grantType "${prepared.grantType}", not "authorization_code"`,
          )
        : new OAuthError('disabled', `OAuth is disabled for server "${server}"`);
    }
    const { session } = given;
    if (typeof session !== 'string' || session === '') {
      throw new OAuthError(
        'invalid-argument',
        'createAuthorizationUrl needs "session" (the browser session the flow is bound to)',
      );
    }
    return this.#authorizations.start(target, session);
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
    const claimed = this.#authorizations.claim(callback, options);
    if (!claimed.ok) return claimed;
    return this.#acquisition.exchangeCode(claimed.target, claimed.code, claimed.verifier);
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
    const resolved = this.#resolve(server, config, options);
    return resolved.ok ? this.#revocation.revoke(resolved.target) : resolved;
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
    const target = this.#targets.resolve(server, config, options);
    await this.#store.forget(target, randomUUID());
  }

  /**
   * Closes the mTLS agents this service opened and forgets pending authorizations. The cache is
   * the caller's: close it yourself (`RedisTokenCache.close()`).
   */
  async close(): Promise<void> {
    this.#authorizations.clear();
    await this.#targets.close();
  }
}
