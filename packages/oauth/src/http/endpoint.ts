import { request, type Dispatcher } from 'undici';
import { OAuthError, type OAuthErrorCode } from '../errors.js';
import type { LogFields, Logger } from '@etdi/core';
import type { ResolvedServiceOptions } from '../options.js';
import { parseRetryAfter } from './retry-after.js';
import { scrub } from './scrub.js';

/** One operation against an authorization server endpoint. Internal. */
export interface EndpointCall {
  /** What the endpoint is, for messages: `token endpoint`, `revocation endpoint`. */
  readonly what: string;
  readonly url: string;
  readonly form: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly dispatcher: Dispatcher | undefined;
  readonly correlationId: string;
  readonly logger: Logger;
  readonly logFields: LogFields;
  /** Secrets to scrub from anything the server sends back. */
  readonly secrets: readonly string[];
}

/** A 2xx answer. `body` is the parsed JSON or form body; `undefined` when empty. */
export interface EndpointResponse {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
]);

interface Failure {
  readonly code: OAuthErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly oauthError?: string;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function classifyThrown(error: unknown, what: string, timeoutMs: number): Failure {
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : '';
  if (
    name === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return {
      code: 'timeout',
      message: `${what} did not answer within ${timeoutMs} ms`,
      retryable: true,
    };
  }
  if (
    code !== undefined &&
    (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
  ) {
    // A certificate problem does not fix itself between attempts.
    return {
      code: 'tls-error',
      message: `TLS with the ${what} failed (${code})`,
      retryable: false,
      cause: error,
    };
  }
  if (error instanceof OAuthError) {
    return { code: error.code, message: error.message, retryable: false, cause: error };
  }
  return {
    code: 'network-error',
    message: `${what} unreachable (${code ?? (name || 'network error')})`,
    retryable: true,
    cause: error,
  };
}

async function readBody(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  what: string,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      body.destroy();
      throw new OAuthError('invalid-response', `${what} answered with more than ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (contentType.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(trimmed));
  }
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function classifyStatus(
  status: number,
  body: Record<string, unknown> | undefined,
  what: string,
  retryAfterMs: number | undefined,
  secrets: readonly string[],
): Failure {
  const oauthError = typeof body?.error === 'string' ? scrub(body.error, secrets) : undefined;
  const description =
    typeof body?.error_description === 'string'
      ? scrub(body.error_description, secrets)
      : undefined;
  const detail = [oauthError, description].filter(Boolean).join(': ');
  const message = `${what} answered ${status}${detail === '' ? '' : ` (${detail})`}`;
  const base = {
    status,
    oauthError,
    message,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
  if (status === 429) return { ...base, code: 'rate-limited', retryable: true };
  if (status >= 500) return { ...base, code: 'server-error', retryable: true };
  if (oauthError === 'invalid_client' || (status === 401 && oauthError === undefined)) {
    return { ...base, code: 'invalid-client', retryable: false };
  }
  if (oauthError === 'invalid_grant') return { ...base, code: 'invalid-grant', retryable: false };
  if (status === 401) return { ...base, code: 'invalid-client', retryable: false };
  return { ...base, code: 'request-rejected', retryable: false };
}

function safeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * POSTs a form to an authorization server endpoint with the service's retry policy: network
 * errors, timeouts, 5xx and 429 are retried (honouring `Retry-After`), anything else fails at
 * once. Resolves with the 2xx answer; rejects with an {@link OAuthError}.
 */
export async function postForm(
  call: EndpointCall,
  options: ResolvedServiceOptions,
): Promise<EndpointResponse> {
  const { retry } = options;
  const maxAttempts = retry.retries + 1;
  const endpoint = safeUrl(call.url);
  const body = call.form.toString();
  let failure: Failure | undefined;
  let attempt = 0;
  while (attempt < maxAttempts) {
    attempt++;
    call.logger.debug(
      { ...call.logFields, correlationId: call.correlationId, attempt, endpoint },
      `${call.what} request`,
    );
    try {
      const response = await request(call.url, {
        method: 'POST',
        headers: call.headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(call.dispatcher === undefined ? {} : { dispatcher: call.dispatcher }),
      });
      const text = await readBody(response.body, options.maxResponseBytes, call.what);
      const contentType = String(response.headers['content-type'] ?? '');
      const parsed = parseBody(text, contentType);
      if (response.statusCode >= 200 && response.statusCode < 300) {
        return { status: response.statusCode, body: parsed };
      }
      const retryAfterMs =
        response.statusCode === 429 || response.statusCode === 503
          ? parseRetryAfter(response.headers['retry-after'], options.now())
          : undefined;
      failure = classifyStatus(response.statusCode, parsed, call.what, retryAfterMs, call.secrets);
    } catch (error) {
      failure = classifyThrown(error, call.what, options.timeoutMs);
    }

    const fields = {
      ...call.logFields,
      correlationId: call.correlationId,
      attempt,
      endpoint,
      code: failure.code,
      status: failure.status,
      oauthError: failure.oauthError,
    };
    if (!failure.retryable || attempt >= maxAttempts) break;
    let waitMs: number;
    if (failure.retryAfterMs !== undefined) {
      if (failure.retryAfterMs > retry.maxRetryAfterMs) {
        call.logger.warn(
          { ...fields, retryAfterMs: failure.retryAfterMs },
          `${call.what} asked to retry later than maxRetryAfterMs; giving up`,
        );
        break;
      }
      waitMs = failure.retryAfterMs;
    } else {
      const backoff = Math.min(retry.baseDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
      waitMs = Math.round(backoff * (1 + retry.jitter * (2 * options.random() - 1)));
    }
    call.logger.warn({ ...fields, delayMs: waitMs }, `${call.what} failed; retrying`);
    await options.sleep(waitMs);
  }

  const f = failure!;
  throw new OAuthError(f.code, f.message, {
    cause: f.cause,
    status: f.status,
    oauthError: f.oauthError,
    correlationId: call.correlationId,
    attempts: attempt,
    retryAfterMs: f.retryAfterMs,
  });
}
