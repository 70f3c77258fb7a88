import { randomUUID } from 'node:crypto';
import { missingScopes, parseScope } from '@etdi/core';
import type { TokenResult } from '../access-token.js';
import type { RefreshTokenEntry, TokenCacheEntry } from '../cache/types.js';
import type { PreparedGrant } from '../config/prepare.js';
import { OAuthError } from '../errors.js';
import type { EndpointResponse } from '../http/endpoint.js';
import type { ResolvedServiceOptions } from '../options.js';
import { parseTokenResponse, type TokenResponse } from '../token-response.js';
import { requestServer } from './authorization-server.js';
import { logFields, type CodeTarget, type GrantTarget } from './target.js';
import type { AcquisitionReason, StoreContext, TokenSet, TokenSource } from './token-store.js';

/** The refresh token a request redeemed: its value, scope and known expiry. */
interface Redeemed {
  readonly refreshToken?: string | undefined;
  readonly scope?: string | undefined;
  readonly expiresAt?: number | undefined;
}

function grantForm(prepared: PreparedGrant, grantType: string): URLSearchParams {
  const form = new URLSearchParams({ grant_type: grantType });
  if (prepared.scope !== '') form.set('scope', prepared.scope);
  for (const resource of prepared.resources) form.append('resource', resource);
  return form;
}

/** The request of a new grant (not a refresh of a cached token). */
function freshGrantForm(
  target: GrantTarget,
  failedRefreshToken: string | undefined,
): URLSearchParams {
  const { prepared, server } = target;
  switch (prepared.grantType) {
    case 'client_credentials': {
      const form = grantForm(prepared, 'client_credentials');
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
      const form = grantForm(prepared, 'refresh_token');
      form.set('refresh_token', prepared.refreshToken);
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
 * Token acquisition: the grants (client credentials, refresh token, authorization code), the
 * token endpoint with its retries, scope validation, and what a response leaves to cache.
 */
export class TokenAcquisition implements TokenSource {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  get #options(): ResolvedServiceOptions {
    return this.#context.options;
  }

  /**
   * Milliseconds since `started`, by the service clock (so tests drive latency with it). Never
   * negative: a wall clock stepped back must not make a latency sample below zero.
   */
  #elapsedSince(started: number): number {
    return Math.max(0, this.#options.now() - started);
  }

  #tokenRequest(
    target: GrantTarget,
    form: URLSearchParams,
    correlationId: string,
    secrets: readonly string[],
  ): Promise<EndpointResponse> {
    return requestServer(
      target,
      { what: 'token endpoint', url: target.prepared.tokenUrl, form, correlationId, secrets },
      this.#options,
    );
  }

  /**
   * A new token for `target`: with the cached refresh token when there is one, else with a new
   * grant. Resolves to `{ ok: false }` on failure, except that a proactive refresh that failed
   * while `previous` still works serves `previous` (and pauses refreshing for a while).
   */
  async acquire(
    target: GrantTarget,
    previous: TokenCacheEntry | undefined,
    reason: AcquisitionReason,
  ): Promise<TokenResult> {
    const correlationId = randomUUID();
    const fields = logFields(target, correlationId);
    const { logger } = this.#options;
    const started = this.#options.now();
    logger.info({ ...fields, reason }, 'acquiring token');
    const secrets: string[] = [];
    if (previous !== undefined) secrets.push(previous.accessToken);
    let response: EndpointResponse | undefined;
    let refreshedWith: RefreshTokenEntry | undefined;
    let usedRefreshToken: string | undefined;
    try {
      const refresh = await this.#context.store.refreshToken(target);
      if (refresh !== undefined) secrets.push(refresh.refreshToken);
      const requestedAt = this.#options.now();
      if (refresh !== undefined) {
        const form = grantForm(target.prepared, 'refresh_token');
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
          await this.#context.store.dropRefreshToken(target, correlationId);
        }
      }
      if (response === undefined) {
        const form = freshGrantForm(target, refresh?.refreshToken);
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
      await this.#context.store.store(target, tokens, correlationId);
      if (previous !== undefined || refreshedWith !== undefined)
        this.#context.metrics.recordRefresh();
      this.#context.metrics.recordAcquisition(true, this.#elapsedSince(started));
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
      return this.#context.store.result(tokens.access);
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
      this.#context.metrics.recordAcquisition(false, this.#elapsedSince(started), withId.code);
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
        this.#context.store.pauseRefresh(target, retryAt);
        logger.warn(
          { ...failure, retryInMs: retryAt - this.#options.now() },
          `token refresh failed; serving the current token until it expires: ${withId.message}`,
        );
        return this.#context.store.result(previous);
      }
      logger.error(failure, `token acquisition failed: ${withId.message}`);
      return { ok: false, error: withId };
    }
  }

  /**
   * Exchanges an authorization code (with its PKCE verifier) for a token and caches it under the
   * target the flow began with. Never rejects.
   */
  async exchangeCode(
    target: CodeTarget,
    code: string,
    verifier: string | undefined,
  ): Promise<TokenResult> {
    const correlationId = randomUUID();
    const fields = logFields(target, correlationId);
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
        redirect_uri: target.prepared.redirectUri,
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
      if (tokens.refresh === undefined)
        await this.#context.store.dropRefreshToken(target, correlationId);
      await this.#context.store.store(target, tokens, correlationId);
      this.#context.metrics.recordAcquisition(true, this.#elapsedSince(started));
      this.#options.logger.info(
        { ...fields, reason: 'authorization', scope: tokens.access.scope },
        'token acquired',
      );
      return this.#context.store.result(tokens.access);
    } catch (thrown) {
      const error = OAuthError.from(thrown, correlationId);
      this.#context.metrics.recordAcquisition(false, this.#elapsedSince(started), error.code);
      this.#options.logger.error(
        { ...fields, code: error.code, status: error.status, oauthError: error.oauthError },
        `authorization code exchange failed: ${error.message}`,
      );
      return { ok: false, error };
    }
  }

  #toTokenSet(
    target: GrantTarget,
    response: TokenResponse,
    requestedAt: number,
    redeemed: Redeemed,
    correlationId: string,
  ): TokenSet {
    const { prepared, server } = target;
    // RFC 6749 §5.1 / §6: an absent scope means "as requested" (or, on refresh, as before).
    const scope = response.scope ?? redeemed.scope ?? prepared.scope;
    const missing = missingScopes(parseScope(scope), parseScope(prepared.scope));
    if (missing.length > 0 && prepared.validateScopes !== 'off') {
      const message = `granted scope "${scope}" does not cover the requested "${prepared.scope}" (missing: ${missing.join(' ')})`;
      if (prepared.validateScopes === 'error') {
        throw new OAuthError('insufficient-scope', `${message} for server "${server}"`, {
          correlationId,
        });
      }
      this.#options.logger.warn(
        { ...logFields(target, correlationId), code: 'insufficient-scope', missing },
        message,
      );
    }
    // The lifetime counts from when the request was sent: the token cannot be older than that.
    const lifetime =
      response.expiresInSec === undefined
        ? this.#options.defaultTokenLifetimeMs
        : response.expiresInSec * 1000;
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
      response.refreshExpiresInSec !== undefined && response.refreshExpiresInSec > 0
        ? requestedAt + response.refreshExpiresInSec * 1000
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
}
