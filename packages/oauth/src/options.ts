import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { MemoryTokenCache } from './cache/memory.js';
import { OAuthError } from './errors.js';
import type { TokenCache } from './cache/types.js';
import { redactingLogger, silentLogger, type Logger } from '@etdi/core';

/**
 * Retry policy for the authorization server (network errors, timeouts, 5xx and 429 only). With
 * the defaults an operation makes one request and up to three retries, waiting about 2 s, 4 s
 * and 8 s before them.
 */
export interface RetryOptions {
  /**
   * Retries after the first request (so at most `retries + 1` requests). A non-negative
   * integer; 0 turns retrying off. Default 3.
   */
  readonly retries?: number;
  /** Wait before the first retry; doubles each time (2 s, 4 s, 8 s, ...). Default 2000. */
  readonly baseDelayMs?: number;
  /** Longest backoff wait. Default 8000. */
  readonly maxDelayMs?: number;
  /** Random spread of each wait, as a fraction (0.2 = ±20 %). Default 0.2. */
  readonly jitter?: number;
  /**
   * Longest `Retry-After` the service waits for. A server asking for more gets no retry: the
   * operation fails at once with `retryAfterMs` set. Default 60 000.
   */
  readonly maxRetryAfterMs?: number;
}

/** Options of {@link createOAuthService}. Every member is optional. */
export interface OAuthServiceOptions {
  /** Where tokens are kept. Default: a {@link MemoryTokenCache} of this process. */
  readonly cache?: TokenCache;
  /**
   * Log sink: `@etdi/core`'s `Logger` (pino's order, `info(fields, message)`), so a Fastify app
   * passes `app.log`. Every line goes through `redactingLogger`. Default: `silentLogger`.
   */
  readonly logger?: Logger;
  /**
   * Clock for token expiry, proactive refresh and acquisition latency, in ms since the epoch.
   * Default `Date.now`.
   */
  readonly now?: () => number;
  /** How the service waits between retries. Default: a timer. Tests pass a recorder. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for the backoff jitter. Default `Math.random`. */
  readonly random?: () => number;
  readonly retry?: RetryOptions;
  /** Per-request timeout (connect, headers and body). Default 10 000 ms. */
  readonly timeoutMs?: number;
  /**
   * undici dispatcher for requests without mTLS (a proxy agent, an agent that trusts a private
   * CA). Default: undici's global dispatcher. Configurations with `mtls` get their own agent.
   */
  readonly dispatcher?: Dispatcher;
  /** Lifetime assumed when a token response has no `expires_in`. Default 3 600 000 (1 h). */
  readonly defaultTokenLifetimeMs?: number;
  /**
   * How long a refresh token is kept when the server does not say (`refresh_expires_in`),
   * counted from when the server last issued or accepted it. Default 30 days. The access token
   * is cached apart, for exactly its own lifetime.
   */
  readonly refreshTokenRetentionMs?: number;
  /**
   * After a proactive refresh failed (the old token still being valid and served), how long to
   * keep serving it before trying again, so a failing authorization server is not asked on every
   * request. Default 30 000.
   */
  readonly refreshRetryIntervalMs?: number;
  /** How long an authorization started with `createAuthorizationUrl` may take. Default 600 000. */
  readonly authorizationTtlMs?: number;
  /**
   * Pending authorizations (started, not yet completed) the service holds at most. Only expired
   * ones are dropped to make room; past the bound `createAuthorizationUrl` throws
   * `too-many-authorizations`, so a flood cannot push out other users' flows. Default 10 000.
   */
  readonly maxPendingAuthorizations?: number;
  /**
   * Pending authorizations one session holds at most; starting one more replaces that
   * session's oldest. Default 5.
   */
  readonly maxPendingAuthorizationsPerSession?: number;
  /** Largest response body read from the authorization server. Default 65 536 bytes. */
  readonly maxResponseBytes?: number;
  /** Latency samples kept for the p95. Default 1024. */
  readonly latencySamples?: number;
}

/** {@link OAuthServiceOptions} with every default applied. Internal. */
export interface ResolvedServiceOptions {
  readonly cache: TokenCache;
  readonly logger: Logger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly retry: Required<RetryOptions>;
  readonly timeoutMs: number;
  readonly dispatcher: Dispatcher | undefined;
  readonly defaultTokenLifetimeMs: number;
  readonly refreshTokenRetentionMs: number;
  readonly refreshRetryIntervalMs: number;
  readonly authorizationTtlMs: number;
  readonly maxPendingAuthorizations: number;
  readonly maxPendingAuthorizationsPerSession: number;
  readonly maxResponseBytes: number;
  readonly latencySamples: number;
}

function resolveRetries(retry: RetryOptions): number {
  if ('attempts' in retry) {
    // The old name counted the first request too; refusing it beats guessing what was meant.
    throw new OAuthError(
      'invalid-argument',
      'retry "attempts" is not an option: use "retries" (retries after the first request; default 3)',
    );
  }
  const retries = retry.retries ?? 3;
  if (!Number.isSafeInteger(retries) || retries < 0) {
    throw new OAuthError('invalid-argument', 'retry "retries" must be a non-negative integer');
  }
  return retries;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new OAuthError('invalid-argument', `"${name}" must be a positive integer`);
  }
  return value;
}

/**
 * Applies the defaults of {@link OAuthServiceOptions}: the one place they live.
 *
 * @throws {OAuthError} `invalid-argument` for a retry count that is not a non-negative integer,
 * or a pending authorization bound that is not a positive integer.
 */
export function resolveServiceOptions(options: OAuthServiceOptions = {}): ResolvedServiceOptions {
  const retry = options.retry ?? {};
  return {
    cache: options.cache ?? new MemoryTokenCache(),
    logger: redactingLogger(options.logger ?? silentLogger),
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms) => delay(ms)),
    random: options.random ?? Math.random,
    retry: {
      retries: resolveRetries(retry),
      baseDelayMs: retry.baseDelayMs ?? 2000,
      maxDelayMs: retry.maxDelayMs ?? 8000,
      jitter: Math.min(1, Math.max(0, retry.jitter ?? 0.2)),
      maxRetryAfterMs: retry.maxRetryAfterMs ?? 60_000,
    },
    timeoutMs: options.timeoutMs ?? 10_000,
    dispatcher: options.dispatcher,
    defaultTokenLifetimeMs: options.defaultTokenLifetimeMs ?? 3_600_000,
    refreshTokenRetentionMs: options.refreshTokenRetentionMs ?? 30 * 86_400_000,
    refreshRetryIntervalMs: options.refreshRetryIntervalMs ?? 30_000,
    authorizationTtlMs: options.authorizationTtlMs ?? 600_000,
    maxPendingAuthorizations: positiveInteger(
      options.maxPendingAuthorizations ?? 10_000,
      'maxPendingAuthorizations',
    ),
    maxPendingAuthorizationsPerSession: positiveInteger(
      options.maxPendingAuthorizationsPerSession ?? 5,
      'maxPendingAuthorizationsPerSession',
    ),
    maxResponseBytes: options.maxResponseBytes ?? 65_536,
    latencySamples: options.latencySamples ?? 1024,
  };
}
