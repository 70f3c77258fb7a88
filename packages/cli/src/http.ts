import { inspectServerUrl } from '@etdi/core';
import { CliError } from './errors.js';
import { printable } from './format.js';

/** What one HTTP exchange came back with. */
export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names; a repeated header joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON body (sent with `content-type: application/json`). */
  readonly json?: unknown;
  /** Whole-exchange timeout. Default 30 s. */
  readonly timeoutMs?: number;
}

/** Largest response body read: a JWKS, a revocation list or a page of tools is far smaller. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Checks a server URL given on the command line: `https:`, or `http:` on a loopback host, and no
 * credentials in it (they would end up in error messages and shell history).
 */
export function serverUrl(value: string, flag: string): URL {
  const r = inspectServerUrl(value, { allowLoopbackHttp: true });
  if (r.ok) return r.url;
  const shown = printable(value);
  switch (r.problem) {
    case 'not-a-url':
    case 'not-http':
      throw new CliError('usage', `${flag} ${shown} is not an http(s) URL`, {
        hint: `Give an absolute URL, e.g. ${flag} https://registry.example.com`,
      });
    case 'credentials':
      throw new CliError('usage', `${flag} must not carry a user name or password`, {
        hint: 'Pass an API key with --api-key or ETDI_API_KEY instead',
      });
    default:
      throw new CliError('usage', `${flag} ${shown} is plain http on a non-loopback host`, {
        hint: 'Use https: keys, revocations and signed tools must not be swappable on the way',
      });
  }
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: string; message?: string } | undefined;
  switch (e?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ABORT_ERR':
      return 'timed out';
    default:
      return e?.code ?? e?.message ?? String(error);
  }
}

/**
 * One HTTP exchange with undici. Network failures (refused, unknown host, timeout) throw
 * `CliError('unreachable')` naming the origin only: paths and headers may carry secrets.
 * Any HTTP status is returned, never thrown: callers decide what a 404 or a 409 means.
 */
export async function httpRequest(
  url: URL,
  options: HttpRequestOptions = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  // undici is loaded on the first request: most runs never make one.
  const { request } = await import('undici');
  try {
    const r = await request(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const length = Number(r.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES) {
      await r.body.dump();
      throw new CliError('server-error', `${url.origin} sent a ${length}-byte answer; refusing it`);
    }
    const text = await r.body.text();
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) {
      if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    return { status: r.statusCode, headers: flat, text };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      'unreachable',
      `Cannot reach ${url.origin}: ${describeNetworkError(error)}`,
      {
        hint: 'Check the URL and that the server is running and reachable from here',
        cause: error,
      },
    );
  }
}
