import { Pool } from 'undici';
import { GatewayError } from '../errors.js';

/** One answer of the registry. */
export interface RegistryAnswer {
  readonly status: number;
  readonly etag: string | undefined;
  /** The `ETDI-Receipt` header, when sent. */
  readonly receipt: string | undefined;
  /** The body as text (empty for a 304). */
  readonly body: string;
}

export interface RegistryClientOptions {
  /** Base URL of the registry (a path prefix is kept). */
  readonly url: string;
  /** Per request: headers and body each. */
  readonly timeoutMs: number;
  /** Largest body read, in bytes (a registry is trusted for keys, not for memory). */
  readonly maxBodyBytes?: number;
  /** Keep-alive connections to the registry. Default 4. */
  readonly connections?: number;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/**
 * GETs against an ETDI registry over an undici keep-alive pool, with `If-None-Match` for
 * documents that change rarely. Throws `GatewayError('trust-unavailable')` for anything but an
 * answer (connection refused, timeout, a body past the limit).
 */
export class RegistryClient {
  readonly #pool: Pool;
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #maxBody: number;
  readonly url: string;

  constructor(options: RegistryClientOptions) {
    const url = new URL(options.url);
    this.url = options.url;
    this.#base = url.pathname.replace(/\/+$/, '');
    this.#pool = new Pool(url.origin, { connections: options.connections ?? 4 });
    this.#timeoutMs = options.timeoutMs;
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  /** `GET path` (relative to the base URL); `etag` makes it conditional. */
  async get(path: string, etag?: string): Promise<RegistryAnswer> {
    let response;
    try {
      response = await this.#pool.request({
        method: 'GET',
        path: `${this.#base}${path}`,
        headers: {
          accept: 'application/json, application/jwt',
          ...(etag === undefined ? {} : { 'if-none-match': etag }),
        },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
    } catch (cause) {
      throw new GatewayError(
        'trust-unavailable',
        `GET ${this.url}${path} failed: ${(cause as Error).message}`,
        { cause },
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > this.#maxBody) {
          response.body.destroy();
          throw new GatewayError(
            'trust-unavailable',
            `GET ${this.url}${path}: the answer is larger than ${this.#maxBody} bytes`,
          );
        }
        chunks.push(chunk as Buffer);
      }
    } catch (cause) {
      if (cause instanceof GatewayError) throw cause;
      throw new GatewayError(
        'trust-unavailable',
        `GET ${this.url}${path}: reading the answer failed: ${(cause as Error).message}`,
        { cause },
      );
    }
    const header = (name: string) => {
      const v = response.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return {
      status: response.statusCode,
      etag: header('etag'),
      receipt: header('etdi-receipt'),
      body: Buffer.concat(chunks).toString('utf8'),
    };
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
