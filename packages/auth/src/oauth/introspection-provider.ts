import {
  basicClientAuthorization,
  errorMessage,
  missingScopes,
  parseScope,
  sha256Base64url,
} from '@etdi/core';
import { decodeJwt } from 'jose';
import {
  BaseAuthProvider,
  validateWithSchema,
  type BaseProviderOptions,
} from '../base-provider.js';
import { PROVIDER_VALIDATORS, requiredKeysOf } from '../config/provider-schemas.js';
import type { AuthCredentials } from '../credentials.js';
import { AuthError } from '../errors.js';
import type { ConfigValidation } from '../provider.js';
import type { AuthResult } from '../result.js';
import type { AuthMethod } from '../status.js';
import { TokenSet } from '../token-set.js';
import { ExpiringCache } from '../util/expiring-cache.js';
import { requestJson, type JsonResponse } from '../util/http.js';
import { secureUrl } from '../util/secure-url.js';
import {
  validateIntrospection,
  validateTokenResponse,
  validateUserinfo,
  type IntrospectionResponse,
} from './oauth-schemas.js';

/** Options of {@link IntrospectionProvider}. */
export interface IntrospectionProviderOptions extends BaseProviderOptions {
  /** RFC 7662 introspection endpoint. At least one of this and `userinfoEndpoint`. */
  introspectionEndpoint?: string | URL;
  /**
   * OpenID Connect UserInfo endpoint: decides on its own when there is no introspection
   * endpoint, and adds the user's claims to `metadata.userinfo` when there is one.
   */
  userinfoEndpoint?: string | URL;
  /** Token endpoint, for `refreshAuthentication` with a refresh token. */
  tokenEndpoint?: string | URL;
  /** This resource server's client credentials at the authorization server. */
  clientId: string;
  clientSecret: string;
  /** How the client authenticates to the endpoints. Default `client_secret_basic`. */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Accepted `iss`, when the introspection response names one. */
  issuer?: string;
  /**
   * Accepted `aud` value(s): the introspection response must name one. Needs an
   * `introspectionEndpoint`: UserInfo does not say whom a token was issued for, so a UserInfo-only
   * configuration with `audience` is refused at start-up rather than left unchecked.
   */
  audience?: string | readonly string[];
  /** Scopes every token must hold. */
  requiredScopes?: readonly string[];
  /** Longest a positive answer is cached; never past the token's own `exp`. Default 60 s. */
  cacheMaxTtlMs?: number;
  /**
   * How long a refusal (an inactive, expired or foreign token) is cached, so a client retrying a
   * bad token does not cost a request to the authorization server each time. Default 30 s; 0
   * turns it off. Failures to reach the server are never cached.
   */
  negativeCacheTtlMs?: number;
  /** Most answers cached, positive and negative each. Default 10 000. */
  maxCacheEntries?: number;
  /** Per request to the authorization server. Default 5 s. */
  timeoutMs?: number;
  /** Longest token accepted, in characters. Default 8192. */
  maxTokenLength?: number;
  fetch?: typeof fetch;
  /** Accept `http://` endpoints on a loopback host (tests, local development). Default false. */
  allowLoopbackHttp?: boolean;
}

function endpoint(
  value: string | URL | undefined,
  key: string,
  allowLoopbackHttp: boolean,
): URL | undefined {
  if (value === undefined) return undefined;
  return secureUrl(value, { key, owner: 'OAuth2 provider', allowLoopbackHttp });
}

const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * OAuth2 access tokens checked at the authorization server: token introspection (RFC 7662)
 * and/or OpenID Connect UserInfo. Positive answers are cached, keyed by a hash of the token,
 * never longer than the token's own `exp`; `refreshAuthentication` trades a refresh token for
 * new tokens at the token endpoint and hands them back in `result.tokens`.
 *
 * @example
 * const oauth = new IntrospectionProvider({
 *   introspectionEndpoint: 'https://as.example.com/oauth2/introspect',
 *   tokenEndpoint: 'https://as.example.com/oauth2/token',
 *   clientId: 'etdi-gateway', clientSecret: process.env.INTROSPECTION_SECRET!,
 *   requiredScopes: ['mcp'],
 * });
 */
export class IntrospectionProvider extends BaseAuthProvider {
  readonly version = '1.0.0';
  protected readonly method: AuthMethod = 'oauth';
  protected override readonly refreshRequiresSession = false;
  readonly #introspection: URL | undefined;
  readonly #userinfo: URL | undefined;
  readonly #token: URL | undefined;
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #clientAuth: 'client_secret_basic' | 'client_secret_post';
  readonly #issuer: string | undefined;
  readonly #audience: readonly string[] | undefined;
  readonly #requiredScopes: readonly string[];
  readonly #cacheMaxTtlMs: number;
  readonly #cache: ExpiringCache<AuthResult>;
  readonly #refusals: ExpiringCache<AuthResult>;
  readonly #negativeCacheTtlMs: number;
  // One request per token at a time: concurrent requests with one token share the answer.
  readonly #inflight = new Map<string, Promise<AuthResult>>();
  readonly #timeoutMs: number;
  readonly #maxTokenLength: number;
  readonly #fetch: typeof fetch;
  /** Requests sent to the authorization server; tests and metrics read it. */
  requests = 0;

  constructor(options: IntrospectionProviderOptions) {
    super('oauth2', options);
    const loopback = options.allowLoopbackHttp ?? false;
    this.#introspection = endpoint(
      options.introspectionEndpoint,
      'introspectionEndpoint',
      loopback,
    );
    this.#userinfo = endpoint(options.userinfoEndpoint, 'userinfoEndpoint', loopback);
    this.#token = endpoint(options.tokenEndpoint, 'tokenEndpoint', loopback);
    if (!this.#introspection && !this.#userinfo) {
      throw new AuthError(
        'invalid-config',
        'OAuth2 provider: give "introspectionEndpoint", "userinfoEndpoint" or both',
        { pointer: '/introspectionEndpoint' },
      );
    }
    if (!this.#introspection && options.audience !== undefined) {
      throw new AuthError(
        'invalid-config',
        'OAuth2 provider: "audience" needs an "introspectionEndpoint"; UserInfo does not say whom a token was issued for, so the audience could not be checked',
        { pointer: '/audience' },
      );
    }
    for (const key of ['clientId', 'clientSecret'] as const) {
      if (typeof options[key] !== 'string' || options[key].length === 0) {
        throw new AuthError(
          'invalid-config',
          `OAuth2 provider: "${key}" must be a non-empty string`,
          {
            pointer: `/${key}`,
          },
        );
      }
    }
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#clientAuth = options.clientAuthMethod ?? 'client_secret_basic';
    this.#issuer = options.issuer;
    this.#audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
    this.#requiredScopes = options.requiredScopes ?? [];
    this.#cacheMaxTtlMs = options.cacheMaxTtlMs ?? 60_000;
    this.#cache = new ExpiringCache(options.maxCacheEntries ?? 10_000);
    this.#refusals = new ExpiringCache(options.maxCacheEntries ?? 10_000);
    this.#negativeCacheTtlMs = options.negativeCacheTtlMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxTokenLength = options.maxTokenLength ?? 8192;
    this.#fetch = options.fetch ?? fetch;
  }

  supportedMethods(): readonly AuthMethod[] {
    return ['oauth', 'bearer-token'];
  }

  /** Checks a `oauth2` configuration document (the JSON/YAML form). */
  validateConfig(config: unknown): ConfigValidation {
    return validateWithSchema(PROVIDER_VALIDATORS.oauth2, config);
  }

  requiredConfigKeys(): readonly string[] {
    return requiredKeysOf('oauth2');
  }

  #clientHeaders(): Record<string, string> {
    if (this.#clientAuth === 'client_secret_post') return {};
    return { authorization: basicClientAuthorization(this.#clientId, this.#clientSecret) };
  }

  #clientForm(): Record<string, string> {
    return this.#clientAuth === 'client_secret_post'
      ? { client_id: this.#clientId, client_secret: this.#clientSecret }
      : {};
  }

  async #send(
    url: URL,
    init: {
      method: 'GET' | 'POST';
      headers?: Record<string, string>;
      form?: Record<string, string>;
    },
  ): Promise<JsonResponse | undefined> {
    this.requests++;
    try {
      return await requestJson(url, {
        ...init,
        timeoutMs: this.#timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
        fetch: this.#fetch,
      });
    } catch (cause) {
      this.logger.warn(
        {
          provider: this.name,
          url: url.href,
          error: errorMessage(cause),
        },
        'authorization server unreachable',
      );
      return undefined;
    }
  }

  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    const token = credentials.accessToken;
    if (token === undefined) return this.noCredentials('No bearer token presented');
    if (token.length > this.#maxTokenLength) {
      return this.failure(
        'invalid-credentials',
        'credential-too-large',
        `Access token is ${token.length} characters long; at most ${this.#maxTokenLength} are accepted`,
      );
    }
    const cacheKey = sha256Base64url(token);
    const now = this.now();
    const cached = this.#cache.get(cacheKey, now) ?? this.#refusals.get(cacheKey, now);
    if (cached) return cached;
    let pending = this.#inflight.get(cacheKey);
    if (!pending) {
      pending = this.#ask(token, cacheKey).finally(() => this.#inflight.delete(cacheKey));
      this.#inflight.set(cacheKey, pending);
    }
    return pending;
  }

  async #ask(token: string, cacheKey: string): Promise<AuthResult> {
    const result = this.#introspection
      ? await this.#introspect(token)
      : await this.#userinfoOnly(token);
    const now = this.now();
    if (result.isSuccess) {
      const until = Math.min(now + this.#cacheMaxTtlMs, result.expiresAt ?? Infinity);
      this.#cache.set(cacheKey, result, until, now);
    } else if (
      // The authorization server's verdict on this token, not a failure to reach it, and not
      // one that time may change (a token not valid yet).
      (result.status === 'invalid-credentials' ||
        result.status === 'expired' ||
        result.status === 'insufficient-permissions') &&
      result.error !== 'token-not-yet-valid'
    ) {
      this.#refusals.set(cacheKey, result, now + this.#negativeCacheTtlMs, now);
    }
    return result;
  }

  async #introspect(token: string): Promise<AuthResult> {
    const response = await this.#send(this.#introspection!, {
      method: 'POST',
      headers: this.#clientHeaders(),
      form: { token, token_type_hint: 'access_token', ...this.#clientForm() },
    });
    if (!response || response.status !== 200) {
      return this.failure(
        'error',
        'introspection-unavailable',
        response
          ? `Introspection endpoint answered HTTP ${response.status}`
          : 'Introspection endpoint is unreachable',
      );
    }
    if (!validateIntrospection(response.json)) {
      return this.failure(
        'error',
        'introspection-unavailable',
        'Introspection endpoint answered with a malformed response',
      );
    }
    return this.#judge(response.json, token);
  }

  async #judge(info: IntrospectionResponse, token: string): Promise<AuthResult> {
    if (!info.active) {
      return this.failure(
        'invalid-credentials',
        'token-inactive',
        'Access token is not active (revoked, expired or unknown)',
      );
    }
    const now = this.now();
    if (info.exp !== undefined && info.exp * 1000 <= now) {
      return this.failure('expired', 'token-expired', 'Access token has expired');
    }
    if (info.nbf !== undefined && info.nbf * 1000 > now) {
      return this.failure(
        'invalid-credentials',
        'token-not-yet-valid',
        'Access token is not valid yet',
      );
    }
    if (this.#issuer !== undefined && info.iss !== undefined && info.iss !== this.#issuer) {
      return this.failure(
        'invalid-credentials',
        'issuer-mismatch',
        'Access token issuer is not accepted',
      );
    }
    if (this.#audience) {
      const aud =
        info.aud === undefined ? [] : typeof info.aud === 'string' ? [info.aud] : info.aud;
      if (!aud.some((a) => this.#audience!.includes(a))) {
        return this.failure(
          'invalid-credentials',
          'audience-mismatch',
          'Access token audience does not name this service',
        );
      }
    }
    const userId = info.sub ?? info.username;
    if (userId === undefined) {
      return this.failure(
        'invalid-credentials',
        'missing-claim',
        'Introspection names no "sub" or "username"',
      );
    }
    const scopes = parseScope(info.scope);
    const refused = this.#lacksScopes(scopes);
    if (refused) return refused;
    let userinfo: Record<string, unknown> | undefined;
    if (this.#userinfo) {
      const answer = await this.#fetchUserinfo(token);
      if (answer.ok) userinfo = answer.claims;
      else if (answer.result) return answer.result;
    }
    return this.success({
      userId,
      permissions: scopes,
      metadata: {
        ...(info.client_id === undefined ? {} : { clientId: info.client_id }),
        ...(info.iss === undefined ? {} : { iss: info.iss }),
        ...(info.jti === undefined ? {} : { jti: info.jti }),
        ...(userinfo === undefined ? {} : { userinfo }),
      },
      ...(info.exp === undefined ? {} : { expiresAt: info.exp * 1000 }),
    });
  }

  async #fetchUserinfo(
    token: string,
  ): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; result?: AuthResult }> {
    const response = await this.#send(this.#userinfo!, {
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
    });
    if (response && (response.status === 401 || response.status === 403)) {
      return {
        ok: false,
        result: this.failure(
          'invalid-credentials',
          'token-inactive',
          'UserInfo endpoint refused the token',
        ),
      };
    }
    if (!response || response.status !== 200 || !validateUserinfo(response.json)) {
      return {
        ok: false,
        result: this.failure(
          'error',
          'introspection-unavailable',
          response
            ? `UserInfo endpoint answered HTTP ${response.status}`
            : 'UserInfo endpoint is unreachable',
        ),
      };
    }
    return { ok: true, claims: response.json };
  }

  async #userinfoOnly(token: string): Promise<AuthResult> {
    const answer = await this.#fetchUserinfo(token);
    if (!answer.ok) return answer.result!;
    // UserInfo carries no expiry; a JWT access token does. It bounds the cache, it proves
    // nothing (the signature is not checked here: the authorization server vouched for it).
    let expiresAt: number | undefined;
    try {
      const exp = decodeJwt(token).exp;
      if (typeof exp === 'number') expiresAt = exp * 1000;
    } catch {
      expiresAt = undefined;
    }
    if (expiresAt !== undefined && expiresAt <= this.now()) {
      return this.failure('expired', 'token-expired', 'Access token has expired');
    }
    // UserInfo's `scope` is not standard; a string is read, anything else grants nothing.
    const scope = answer.claims.scope;
    const scopes = typeof scope === 'string' ? parseScope(scope) : [];
    const refused = this.#lacksScopes(scopes);
    if (refused) return refused;
    return this.success({
      userId: answer.claims.sub as string,
      permissions: scopes,
      metadata: { userinfo: answer.claims },
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
  }

  /** The refusal of a token whose scopes do not cover `requiredScopes`, if they do not. */
  #lacksScopes(scopes: readonly string[]): AuthResult | undefined {
    const missing = missingScopes(scopes, this.#requiredScopes);
    if (missing.length === 0) return undefined;
    return this.failure(
      'insufficient-permissions',
      'insufficient-scope',
      `Access token lacks required scope(s): ${missing.join(', ')}`,
    );
  }

  /** Forgets a cached answer, e.g. after the token was revoked at the authorization server. */
  forget(accessToken: string): void {
    const key = sha256Base64url(accessToken);
    this.#cache.delete(key);
    this.#refusals.delete(key);
  }

  protected override async refreshCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    const refreshToken = credentials.refreshToken;
    if (refreshToken === undefined) return this.noCredentials('No refresh token presented');
    if (!this.#token) {
      return this.failure(
        'failure',
        'refresh-failed',
        'OAuth2 provider has no token endpoint to refresh at',
      );
    }
    const response = await this.#send(this.#token, {
      method: 'POST',
      headers: this.#clientHeaders(),
      form: { grant_type: 'refresh_token', refresh_token: refreshToken, ...this.#clientForm() },
    });
    if (!response) {
      return this.failure('error', 'introspection-unavailable', 'Token endpoint is unreachable');
    }
    if (response.status !== 200) {
      const error = (response.json as { error?: unknown } | undefined)?.error;
      if (response.status === 400 && error === 'invalid_grant') {
        return this.failure(
          'expired',
          'refresh-failed',
          'Refresh token is invalid, expired or revoked',
        );
      }
      return this.failure(
        response.status >= 500 ? 'error' : 'invalid-credentials',
        'refresh-failed',
        `Token endpoint refused the refresh (HTTP ${response.status}${typeof error === 'string' ? `, ${error}` : ''})`,
      );
    }
    if (!validateTokenResponse(response.json)) {
      return this.failure(
        'error',
        'refresh-failed',
        'Token endpoint answered with a malformed response',
      );
    }
    const answer = response.json;
    const tokens = new TokenSet({
      accessToken: answer.access_token,
      // RFC 6749 §6: without a new refresh token, the old one stays valid.
      refreshToken: answer.refresh_token ?? refreshToken,
      ...(answer.id_token === undefined ? {} : { idToken: answer.id_token }),
      tokenType: answer.token_type,
      ...(answer.expires_in === undefined
        ? {}
        : { expiresAt: this.now() + answer.expires_in * 1000 }),
      ...(answer.scope === undefined ? {} : { scope: answer.scope }),
    });
    const result = await this.authenticate(credentials.with({ accessToken: tokens.accessToken }));
    return result.isSuccess ? result.with({ tokens }) : result;
  }
}
