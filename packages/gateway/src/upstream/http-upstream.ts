import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/gateway-config.js';
import { GATEWAY_DEFAULTS } from '../config/defaults.js';
import { GatewayError } from '../errors.js';
import type { Upstream, UpstreamRequest, UpstreamResponse } from './upstream.js';
import type { UpstreamCredentials } from './upstream-headers.js';

/** Options of {@link HttpUpstream}. */
export interface HttpUpstreamOptions {
  readonly config: UpstreamConfig;
  readonly credentials: UpstreamCredentials;
  /** A dispatcher of your own (tests, a proxy agent). Default: a keep-alive `Pool`. */
  readonly dispatcher?: Dispatcher;
}

/**
 * An MCP server speaking Streamable HTTP (the session-based revisions 2025-06-18 and
 * 2025-11-25, JSON or SSE responses), reached through an undici keep-alive `Pool`. Bodies,
 * SSE streams and protocol headers pass as they are; the gateway's own credentials are put on
 * each request, and a 401 is retried once with a freshly acquired token.
 */
export class HttpUpstream implements Upstream {
  readonly name: string;
  readonly #config: UpstreamConfig;
  readonly #credentials: UpstreamCredentials;
  readonly #dispatcher: Dispatcher;
  readonly #owned: boolean;
  readonly #url: URL;
  readonly #path: string;

  constructor(options: HttpUpstreamOptions) {
    this.name = options.config.name;
    if (options.config.url === undefined) {
      throw new GatewayError('invalid-config', `upstream "${this.name}" has no url`);
    }
    this.#url = options.config.url;
    this.#config = options.config;
    this.#credentials = options.credentials;
    this.#owned = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Pool(this.#url.origin, {
        connections: options.config.connections,
        keepAliveTimeout: GATEWAY_DEFAULTS.keepAliveTimeoutMs,
        headersTimeout: options.config.timeoutMs,
        bodyTimeout: options.config.timeoutMs,
      });
    this.#path = `${this.#url.pathname}${this.#url.search}`;
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    let response = await this.#dispatch(request, await this.#credentials.apply(request.headers));
    if (response.status === 401 && this.#credentials.refreshable) {
      response.body.resume();
      response = await this.#dispatch(
        request,
        await this.#credentials.apply(request.headers, true),
      );
    }
    if (response.status === 401) {
      response.body.resume();
      throw new GatewayError(
        'upstream-unauthorized',
        `upstream "${this.name}" refused the gateway's credentials (401)`,
      );
    }
    return response;
  }

  async #dispatch(
    request: UpstreamRequest,
    headers: Record<string, string>,
  ): Promise<UpstreamResponse> {
    try {
      const response = await this.#dispatcher.request({
        origin: this.#url.origin,
        path: this.#path,
        method: request.method,
        headers,
        body: request.body ?? null,
        signal: request.signal,
        headersTimeout: this.#config.timeoutMs,
        // A GET stream may be quiet for long; a request's stream is bounded by the timeout
        // between chunks.
        bodyTimeout: request.longLived ? 0 : this.#config.timeoutMs,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (cause) {
      throw upstreamError(this.name, cause);
    }
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#dispatcher.close();
  }
}

/** The gateway's reading of a transport failure: a timeout, or an upstream that is not there. */
export function upstreamError(name: string, cause: unknown): GatewayError {
  if (cause instanceof GatewayError) return cause;
  const timedOut =
    cause instanceof undiciErrors.HeadersTimeoutError ||
    cause instanceof undiciErrors.BodyTimeoutError ||
    cause instanceof undiciErrors.ConnectTimeoutError;
  const code = (cause as { code?: unknown } | null)?.code;
  return timedOut
    ? new GatewayError('upstream-timeout', `upstream "${name}" did not answer in time`, { cause })
    : new GatewayError(
        'upstream-unavailable',
        `upstream "${name}" is unavailable${typeof code === 'string' ? ` (${code})` : ''}`,
        { cause },
      );
}
