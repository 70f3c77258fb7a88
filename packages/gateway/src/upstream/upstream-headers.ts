import type { Logger } from '@etdi/core';
import {
  createOAuthService,
  CREDENTIAL_HEADER_PREFIXES,
  CREDENTIAL_HEADERS,
  injectToken,
  type OAuthService,
} from '@etdi/oauth';
import { GatewayError } from '../errors.js';
import type { GatewayConfig, UpstreamConfig } from '../config/gateway-config.js';

// All of the gateway's wiring to @etdi/oauth lives in this file: which downstream headers may
// travel to an upstream, and the gateway's own upstream token on top.

// Hop-by-hop (RFC 9110 §7.6.1) and headers that describe the downstream connection, not the
// message. `accept-encoding` goes too: the proxy must read SSE and JSON bodies as they are.
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
  'origin',
  'referer',
  'accept-encoding',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
]);

const CREDENTIALS = new Set(CREDENTIAL_HEADERS);

/**
 * Which downstream headers travel upstream: everything except hop-by-hop headers, the
 * connection's own (`host`, `origin`), and every credential the caller sent (the oauth
 * package's list, its prefixes, and the header names the auth configuration reads credentials
 * from): the MCP authorization spec forbids passing the caller's token through.
 */
export class HeaderPolicy {
  readonly #extra: ReadonlySet<string>;

  /** `credentialHeaders`: more header names that carry credentials (any case). */
  constructor(credentialHeaders: readonly string[] = []) {
    this.#extra = new Set(credentialHeaders.map((h) => h.toLowerCase()));
  }

  /** The headers of a downstream request that may be forwarded (lower-case names). */
  forwardable(
    incoming: Readonly<Record<string, string | string[] | undefined>>,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name in incoming) {
      const value = incoming[name];
      if (value === undefined || NOT_FORWARDED.has(name) || this.isCredential(name)) continue;
      out[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return out;
  }

  /** Whether a (lower-case) header name carries a credential. */
  isCredential(name: string): boolean {
    if (CREDENTIALS.has(name) || this.#extra.has(name)) return true;
    for (const prefix of CREDENTIAL_HEADER_PREFIXES) if (name.startsWith(prefix)) return true;
    return false;
  }
}

/**
 * The gateway's own credentials for one upstream: the static `headers` of its configuration
 * and, with `oauth`, a token from the OAuth service (`getAccessToken` + `injectToken`). Never
 * the caller's.
 */
export class UpstreamCredentials {
  readonly #upstream: UpstreamConfig;
  readonly #oauth: OAuthService | undefined;
  readonly #static: Readonly<Record<string, string>>;

  readonly #credentialHeaders: readonly string[];

  /**
   * `credentialHeaders`: every header the caller's credentials are read from (the
   * authenticator's list); `injectToken` strips them together with the standard ones.
   */
  constructor(
    upstream: UpstreamConfig,
    oauth: OAuthService | undefined,
    credentialHeaders: readonly string[],
  ) {
    this.#upstream = upstream;
    this.#credentialHeaders = credentialHeaders;
    this.#oauth = upstream.oauth ? oauth : undefined;
    this.#static = Object.fromEntries(
      Object.entries(upstream.headers).map(([k, v]) => [k.toLowerCase(), v]),
    );
    if (upstream.oauth && !oauth) {
      throw new GatewayError(
        'internal-error',
        `upstream "${upstream.name}" has oauth but no OAuth service was given`,
      );
    }
    if (this.#oauth && upstream.oauth) this.#oauth.prepare(upstream.oauth);
  }

  /** Whether a refused token can be replaced (an upstream 401 is then retried once). */
  get refreshable(): boolean {
    return this.#oauth !== undefined;
  }

  /**
   * The headers of one upstream request: the forwardable downstream headers, the static
   * headers over them, then the gateway's token.
   *
   * @throws {GatewayError} `upstream-unauthorized` when no token can be obtained.
   */
  async apply(
    forwarded: Readonly<Record<string, string>>,
    forceRefresh = false,
  ): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...forwarded, ...this.#static };
    const oauth = this.#oauth;
    const config = this.#upstream.oauth;
    if (!oauth || !config) return headers;
    const result = await oauth.getAccessToken(this.#upstream.name, config, { forceRefresh });
    if (!result.ok) {
      throw new GatewayError(
        'upstream-unauthorized',
        `no upstream token for "${this.#upstream.name}": ${result.error.code}`,
        { cause: result.error },
      );
    }
    const injected = injectToken({ transport: 'http', headers }, result.token, {
      credentialHeaders: this.#credentialHeaders,
      config,
    });
    return injected.headers as Record<string, string>;
  }
}

/**
 * The gateway's one OAuth token service, when any upstream has `oauth` (shared by all of them;
 * the caller closes it). Undefined otherwise.
 */
export function upstreamOAuthService(
  config: GatewayConfig,
  logger: Logger,
): OAuthService | undefined {
  const needed = [...config.upstreams.values()].some((u) => u.oauth !== undefined);
  return needed ? createOAuthService({ logger }) : undefined;
}
