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
import { IpMatcher } from '../util/ip-matcher.js';

/** Options of {@link TrustedProxyProvider}. */
export interface TrustedProxyProviderOptions extends BaseProviderOptions {
  /**
   * Whether callers must authenticate themselves (with the other providers of the chain).
   * Default true. Turning it off without `trustProxyAuth` leaves everyone anonymous.
   */
  clientAuthEnabled?: boolean;
  /** Believe the user named by `proxyUserHeader`. Default false. */
  trustProxyAuth?: boolean;
  /** Header the authenticating proxy names the user in. Default `X-Authenticated-User`. */
  proxyUserHeader?: string;
  /** Optional header with the user's groups (comma separated), recorded as roles. */
  proxyGroupsHeader?: string;
  /**
   * Addresses (CIDR, IPv4 and IPv6) of the proxies whose header is believed. Required with
   * `trustProxyAuth`: the same header from anywhere else is refused, never believed.
   */
  trustedProxies?: readonly string[];
  /** Scopes granted to users the proxy names. Default none. */
  defaultScopes?: readonly string[];
}

// RFC 9110 field-value without obs-text; a user name never needs a comma (which is also how
// Node joins a header sent twice) or control characters.
const USER_VALUE = /^[\x21-\x2b\x2d-\x7e](?:[\x20-\x2b\x2d-\x7e]*[\x21-\x2b\x2d-\x7e])?$/;

/**
 * Authentication done by a reverse proxy in front of the service (OAuth2 Proxy, Authelia,
 * Cloudflare Access), which names the user in a header.
 *
 * - `trustProxyAuth: true`: the header names the user, but only on a request whose TCP peer
 *   is one of `trustedProxies`. The same header from any other address is refused
 *   (`untrusted-proxy`) and logged: anyone can send a header. This check sits in the provider,
 *   not in a route, so every route that runs the chain honours it alike.
 * - `clientAuthEnabled: false` and `trustProxyAuth: false`: a security warning is logged at
 *   start-up and every request is accepted as anonymous (no user, no scopes,
 *   `source.method: 'proxy'`): nobody is authenticated as a named user.
 * - Otherwise the provider stands aside (`no-credentials`) and the chain's other providers
 *   decide.
 *
 * @example
 * const proxy = new TrustedProxyProvider({
 *   trustProxyAuth: true, trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
 * });
 */
export class TrustedProxyProvider extends BaseAuthProvider {
  readonly version = '1.0.0';
  protected readonly method: AuthMethod = 'proxy';
  readonly clientAuthEnabled: boolean;
  readonly trustProxyAuth: boolean;
  readonly #userHeader: string;
  readonly #groupsHeader: string | undefined;
  readonly #proxies: IpMatcher;
  readonly #defaultScopes: readonly string[];

  constructor(options: TrustedProxyProviderOptions = {}) {
    super('proxy', options);
    this.clientAuthEnabled = options.clientAuthEnabled ?? true;
    this.trustProxyAuth = options.trustProxyAuth ?? false;
    this.#userHeader = (options.proxyUserHeader ?? 'X-Authenticated-User').toLowerCase();
    this.#groupsHeader = options.proxyGroupsHeader?.toLowerCase();
    this.#proxies = new IpMatcher(options.trustedProxies ?? [], '/trustedProxies');
    this.#defaultScopes = options.defaultScopes ?? [];
    if (this.trustProxyAuth && this.#proxies.size === 0) {
      throw new AuthError(
        'invalid-config',
        'Trusted proxy provider: "trustProxyAuth" needs "trustedProxies" (the proxies\' addresses); otherwise anyone could name any user',
        { pointer: '/trustedProxies' },
      );
    }
    if (!this.clientAuthEnabled && !this.trustProxyAuth) {
      this.logger.warn(
        { provider: this.name, clientAuthEnabled: false, trustProxyAuth: false },
        'SECURITY: client authentication is disabled and the proxy header is not trusted; every request is accepted as anonymous',
      );
    }
  }

  supportedMethods(): readonly AuthMethod[] {
    return ['proxy'];
  }

  /** Checks a `proxy` configuration document (the JSON/YAML form). */
  validateConfig(config: unknown): ConfigValidation {
    return validateWithSchema(PROVIDER_VALIDATORS.proxy, config);
  }

  requiredConfigKeys(): readonly string[] {
    return requiredKeysOf('proxy');
  }

  /** The user and groups headers: identities the proxy asserts, never for an upstream's eyes. */
  override credentialHeaders(): readonly string[] {
    return this.#groupsHeader === undefined
      ? [this.#userHeader]
      : [this.#userHeader, this.#groupsHeader];
  }

  /** Whether this provider accepts requests without a credential (client auth disabled). */
  get acceptsAnonymous(): boolean {
    return !this.clientAuthEnabled && !this.trustProxyAuth;
  }

  #anonymous(): AuthResult {
    return this.success({
      anonymous: true,
      message: 'Client authentication is disabled: accepted as anonymous',
      metadata: { anonymous: true },
    });
  }

  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    if (!this.trustProxyAuth) {
      return this.clientAuthEnabled
        ? this.noCredentials('Proxy authentication is not trusted')
        : this.#anonymous();
    }
    const value = credentials.header(this.#userHeader);
    const remote = credentials.context.remoteAddress;
    if (value === undefined) {
      return this.noCredentials(`No ${this.#userHeader} header`);
    }
    if (!this.#proxies.matches(remote)) {
      this.logger.warn(
        {
          provider: this.name,
          remoteAddress: remote,
          header: this.#userHeader,
        },
        'proxy user header from an untrusted address refused',
      );
      return this.failure(
        'invalid-credentials',
        'untrusted-proxy',
        `Header ${this.#userHeader} is only accepted from a trusted proxy; ${remote ?? 'the peer'} is not one`,
      );
    }
    // A client's own header line next to the proxy's: the value is not the proxy's word alone.
    for (const header of [this.#userHeader, this.#groupsHeader]) {
      if (header !== undefined && credentials.headerRepeated?.(header)) {
        return this.failure(
          'invalid-credentials',
          'ambiguous-credentials',
          `Header ${header} is given more than once`,
        );
      }
    }
    if (value.length > 256 || !USER_VALUE.test(value)) {
      return this.failure(
        'invalid-credentials',
        value.includes(',') ? 'ambiguous-credentials' : 'malformed-credentials',
        value.includes(',')
          ? `Header ${this.#userHeader} names more than one user`
          : `Header ${this.#userHeader} is not a valid user name`,
      );
    }
    const groups =
      this.#groupsHeader === undefined ? undefined : credentials.header(this.#groupsHeader);
    return this.success({
      userId: value,
      permissions: this.#defaultScopes,
      roles:
        groups === undefined
          ? []
          : groups
              .split(',')
              .map((g) => g.trim())
              .filter((g) => g.length > 0),
      metadata: { proxy: remote },
    });
  }
}
