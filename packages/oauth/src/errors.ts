import { CodedError, codeGuard, defineCodes, type CodedErrorOptions } from '@etdi/core';

/**
 * Codes of {@link OAuthError}: the one list the {@link OAuthErrorCode} union and
 * {@link isOAuthErrorCode} derive from. The set is closed: callers `switch` on `code`, never on
 * `message`.
 *
 * Configuration and start-up:
 * - `invalid-config`: an {@link OAuthConfig} breaks the schema or a rule (the message and
 *   `pointer` name the member).
 * - `insecure-url`: an `http://` endpoint while `enforceHttps` is on (loopback only with
 *   `allowLoopbackHttp`).
 * - `mtls-unavailable`: a client certificate, key or CA bundle is missing, unreadable or unusable.
 *   Raised at start-up; the service never falls back to a connection without the certificate.
 * - `invalid-argument`: a caller passed something the API cannot use.
 * - `disabled`: the configuration has `enabled: false`.
 *
 * Talking to the authorization server (token, authorization and revocation endpoints):
 * - `network-error`, `timeout`, `server-error` (5xx), `rate-limited` (429): transient; retried
 *   with backoff and reported only once the attempts are spent.
 * - `tls-error`: the TLS handshake failed (untrusted server certificate, certificate rejected).
 * - `invalid-client`: client authentication failed (401 or `invalid_client`). Never retried.
 * - `invalid-grant`: the code, refresh token or credentials grant was refused (`invalid_grant`).
 * - `request-rejected`: any other 4xx (`invalid_request`, `invalid_scope`,
 *   `unauthorized_client`, `unsupported_grant_type`, ...). Never retried.
 * - `invalid-response`: the server answered 2xx with something that is not a usable token.
 * - `insufficient-scope`: the granted scope does not cover the requested scope.
 * - `authorization-required`: an authorization-code configuration has no usable token yet; a user
 *   must go through {@link OAuthService.createAuthorizationUrl} first.
 * - `authorization-denied`: the authorization server redirected back with an `error`.
 * - `state-mismatch`: the callback's `state` is missing, unknown, expired or already used, or
 *   was started by another browser session (or the callback came without a session).
 * - `too-many-authorizations`: `maxPendingAuthorizations` unexpired authorization flows are
 *   pending; a new one can start once some complete or expire.
 * - `revocation-failed`: the revocation endpoint (RFC 7009) did not confirm the revocation.
 *
 * Token cache:
 * - `cache-error`: the cache store failed, or holds an entry that cannot be decrypted. The
 *   service logs it and treats the entry as missing; callers of `getAccessToken` never see it.
 *
 * Anything else:
 * - `internal-error`: a failure that is neither the caller's input nor the authorization
 *   server's answer: a bug, or a fault of an injected dependency (a logger or `sleep` that
 *   throws). `cause` holds what was thrown.
 */
export const OAUTH_ERROR_CODES = defineCodes([
  'invalid-config',
  'insecure-url',
  'mtls-unavailable',
  'invalid-argument',
  'disabled',
  'network-error',
  'timeout',
  'server-error',
  'rate-limited',
  'tls-error',
  'invalid-client',
  'invalid-grant',
  'request-rejected',
  'invalid-response',
  'insufficient-scope',
  'authorization-required',
  'authorization-denied',
  'state-mismatch',
  'too-many-authorizations',
  'revocation-failed',
  'cache-error',
  'internal-error',
]);

/** One code of {@link OAUTH_ERROR_CODES}. */
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/** Type guard for {@link OAuthErrorCode}, for codes read back from logs or metrics. */
export const isOAuthErrorCode = codeGuard(OAUTH_ERROR_CODES);

/** Details an {@link OAuthError} may carry besides its code: `cause`, `pointer`, and these. */
export interface OAuthErrorDetails extends CodedErrorOptions {
  /** HTTP status of the authorization server's last answer. */
  readonly status?: number | undefined;
  /** The RFC 6749 `error` value the authorization server returned (`invalid_client`, ...). */
  readonly oauthError?: string | undefined;
  /** Correlation id of the acquisition, as it appears in the log lines. */
  readonly correlationId?: string | undefined;
  /** How many requests were made before giving up. */
  readonly attempts?: number | undefined;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number | undefined;
}

const TRANSIENT: ReadonlySet<OAuthErrorCode> = new Set([
  'network-error',
  'timeout',
  'server-error',
  'rate-limited',
]);

/**
 * The one error class of `@etdi/oauth`, on `@etdi/core`'s `CodedError`: `code`, `pointer` (the
 * JSON pointer of the configuration member at fault), `cause`, and what the authorization server
 * said. Messages never contain a secret: client secrets, tokens, codes and verifiers are masked
 * or left out, and text echoed by the authorization server is scrubbed of them.
 *
 * @example
 * const result = await oauth.getAccessToken('github', config);
 * if (!result.ok) {
 *   switch (result.error.code) {
 *     case 'authorization-required': return redirectToLogin();
 *     case 'invalid-client': return alertOperator(result.error);
 *     default: return reply.code(502).send();
 *   }
 * }
 */
export class OAuthError extends CodedError<OAuthErrorCode> {
  override readonly name = 'OAuthError';
  readonly status: number | undefined;
  readonly oauthError: string | undefined;
  readonly correlationId: string | undefined;
  readonly attempts: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: OAuthErrorCode, message: string, details: OAuthErrorDetails = {}) {
    super(code, message, details);
    this.status = details.status;
    this.oauthError = details.oauthError;
    this.correlationId = details.correlationId;
    this.attempts = details.attempts;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** Whether trying again later may succeed (the transient codes). */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }

  /** A plain object for structured logs: code and context, no stack, no secrets. */
  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      oauthError: this.oauthError,
      correlationId: this.correlationId,
      attempts: this.attempts,
      retryAfterMs: this.retryAfterMs,
    };
  }

  /**
   * `error` itself when it is an {@link OAuthError}; anything else thrown is a bug or a
   * dependency fault, wrapped as `internal-error` with the original as `cause`.
   */
  static from(error: unknown, correlationId?: string): OAuthError {
    if (error instanceof OAuthError) return error;
    const what = error instanceof Error ? error.name : typeof error;
    return new OAuthError('internal-error', `unexpected failure (${what}); see "cause"`, {
      cause: error,
      correlationId,
    });
  }
}
