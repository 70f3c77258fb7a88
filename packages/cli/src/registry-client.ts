import { CliError } from './errors.js';
import { parseJsonText } from './files.js';
import { printable } from './format.js';
import { httpRequest, serverUrl, type HttpResponse } from './http.js';
import type { CliIo } from './io.js';

/** An RFC 9457 problem document as the registry sends it: `code` is stable, the rest is prose. */
export interface Problem {
  readonly status?: number;
  readonly title?: string;
  readonly detail?: string;
  /** A stable code: a reason code where a tool was rejected (`rug-pull`, `unknown-key`, ...). */
  readonly code?: string;
  readonly [member: string]: unknown;
}

/** `GET /.well-known/etdi-registry`. */
export interface RegistryInfo {
  /** The registry's provider id: the `iss` of its revocation lists and receipts. */
  readonly id: string;
  readonly jwksUri: URL;
  readonly revocationsUri: URL;
  /** The registry's own trust JWKS (its keys carry `iss` = `id`). */
  readonly keys: unknown;
}

/** Options every registry command takes. */
export interface RegistryOptions {
  /** `--registry`; default `ETDI_REGISTRY_URL`. */
  readonly registry?: string | undefined;
  /** `--api-key`; default `ETDI_API_KEY`. Never printed. */
  readonly apiKey?: string | undefined;
}

/** The problem document of an error answer, when it is one. */
export function problemOf(r: HttpResponse): Problem | undefined {
  if (!/^application\/(problem\+)?json/i.test(r.headers['content-type'] ?? '')) return undefined;
  try {
    const body = JSON.parse(r.text) as unknown;
    return body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Problem)
      : undefined;
  } catch {
    return undefined;
  }
}

/** One line saying what a problem answer was: status, code and detail. */
export function describeProblem(r: HttpResponse): string {
  const p = problemOf(r);
  const code = typeof p?.code === 'string' ? ` ${p.code}` : '';
  const detail =
    typeof p?.detail === 'string'
      ? `: ${p.detail}`
      : typeof p?.title === 'string'
        ? `: ${p.title}`
        : '';
  return printable(`HTTP ${r.status}${code}${detail}`);
}

/**
 * A client of the registry HTTP API (DESIGN.md, "Registry HTTP API"), over undici. It returns
 * every HTTP answer; {@link RegistryClient.fail} turns an unexpected one into the CLI error that
 * fits it. The API key goes only into the `Authorization` header, never into a message.
 *
 * @example
 * const registry = RegistryClient.from({ registry: 'http://127.0.0.1:4000' }, io);
 * const info = await registry.info();
 */
export class RegistryClient {
  readonly base: URL;
  readonly #apiKey: string | undefined;

  constructor(base: URL, apiKey?: string) {
    this.base = base;
    this.#apiKey = apiKey;
  }

  /** The client for `--registry` / `ETDI_REGISTRY_URL` and `--api-key` / `ETDI_API_KEY`. */
  static from(
    options: RegistryOptions,
    io: CliIo,
    need: { apiKey?: boolean } = {},
  ): RegistryClient {
    const value = options.registry ?? io.env?.ETDI_REGISTRY_URL;
    if (value === undefined || value === '') {
      throw new CliError('usage', 'No registry given', {
        hint: 'Pass --registry URL or set ETDI_REGISTRY_URL',
      });
    }
    const apiKey = options.apiKey ?? io.env?.ETDI_API_KEY;
    if (need.apiKey && (apiKey === undefined || apiKey === '')) {
      throw new CliError('usage', 'This command needs an API key', {
        hint: 'Pass --api-key KEY or set ETDI_API_KEY (an admin key, or a publisher key of the provider)',
      });
    }
    return new RegistryClient(serverUrl(value, '--registry'), apiKey || undefined);
  }

  /** The URL of an API path; path segments are percent-encoded. */
  url(...segments: readonly string[]): URL {
    const base = this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`;
    return new URL(segments.map((s) => encodeURIComponent(s)).join('/'), base);
  }

  #headers(accept = 'application/json'): Record<string, string> {
    return {
      accept: `${accept}, application/problem+json`,
      ...(this.#apiKey === undefined ? {} : { authorization: `Bearer ${this.#apiKey}` }),
    };
  }

  get(segments: readonly string[], accept?: string): Promise<HttpResponse> {
    return httpRequest(this.url(...segments), { headers: this.#headers(accept) });
  }

  getUrl(url: URL, accept?: string): Promise<HttpResponse> {
    return httpRequest(url, { headers: this.#headers(accept) });
  }

  post(segments: readonly string[], json: unknown): Promise<HttpResponse> {
    return httpRequest(this.url(...segments), { method: 'POST', headers: this.#headers(), json });
  }

  /** Parses a JSON answer, naming the route when it is not JSON. */
  json(r: HttpResponse, what: string): unknown {
    try {
      return parseJsonText(r.text, `the registry's answer to ${what}`);
    } catch (error) {
      throw new CliError('server-error', `${this.base.origin} sent a malformed answer to ${what}`, {
        cause: error,
      });
    }
  }

  /** The CLI error for an answer the command did not expect (exit 2), by status. */
  fail(r: HttpResponse, what: string): CliError {
    const why = describeProblem(r);
    if (r.status === 401 || r.status === 403) {
      return new CliError('access-denied', `The registry refused ${what}: ${why}`, {
        hint:
          r.status === 401
            ? 'Check --api-key / ETDI_API_KEY (it may be expired or revoked)'
            : 'Use an admin key, or a publisher key of this provider',
      });
    }
    return new CliError(
      r.status >= 500 ? 'server-error' : 'usage',
      `The registry refused ${what}: ${why}`,
    );
  }

  /** `GET /.well-known/etdi-registry`: the registry's id, its keys and where the rest is. */
  async info(): Promise<RegistryInfo> {
    const r = await this.get(['.well-known', 'etdi-registry']);
    if (r.status !== 200) throw this.fail(r, 'GET /.well-known/etdi-registry');
    const doc = this.json(r, 'GET /.well-known/etdi-registry') as Record<string, unknown> | null;
    const id = doc?.id;
    const jwks = doc?.jwks_uri;
    const revocations = doc?.revocations_uri;
    if (typeof id !== 'string' || typeof jwks !== 'string' || typeof revocations !== 'string') {
      throw new CliError(
        'server-error',
        `${this.base.origin}/.well-known/etdi-registry lacks "id", "jwks_uri" or "revocations_uri": is it an ETDI registry?`,
      );
    }
    return {
      id,
      jwksUri: serverUrl(new URL(jwks, this.base).href, 'jwks_uri'),
      revocationsUri: serverUrl(new URL(revocations, this.base).href, 'revocations_uri'),
      keys: doc?.keys,
    };
  }
}
