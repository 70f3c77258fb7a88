import { findDuplicateMember } from '@etdi/core';

/** A JSON answer of a small HTTP exchange. `json` is `undefined` when the body is not JSON. */
export interface JsonResponse {
  readonly status: number;
  readonly json: unknown;
}

/** Options of {@link requestJson}. */
export interface RequestJsonOptions {
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** Sent as `application/x-www-form-urlencoded`. */
  readonly form?: Record<string, string>;
  readonly timeoutMs: number;
  /** Largest body read. */
  readonly maxBytes: number;
  readonly fetch: typeof fetch;
}

/**
 * One request to an authorization server, with a timeout, no redirects (a redirect could carry
 * client credentials elsewhere) and a body size limit. Network failures reject.
 */
export async function requestJson(url: URL, options: RequestJsonOptions): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const response = await options.fetch(url, {
    method: options.method,
    headers,
    ...(body === undefined ? {} : { body }),
    redirect: 'error',
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw new Error(`response is ${declared} bytes; at most ${options.maxBytes} are accepted`);
  }
  const text = await response.text();
  if (Buffer.byteLength(text) > options.maxBytes) {
    throw new Error(`response is larger than ${options.maxBytes} bytes`);
  }
  let json: unknown;
  try {
    // An answer that names a member twice (`"active": false, "active": true`) says two things:
    // it is no JSON answer at all, rather than the last of its readings.
    json =
      text.length === 0 || findDuplicateMember(text) !== undefined ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}
