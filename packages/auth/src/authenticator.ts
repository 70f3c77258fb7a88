import { errorMessage, redactingLogger, silentLogger, type Logger } from '@etdi/core';
import { createProviderChain, type ChainMode } from './chain/provider-chain.js';
import { ProviderRegistry } from './chain/provider-registry.js';
import type { AuthCredentials } from './credentials.js';
import {
  extractCredentials,
  extractionHeaders,
  type AuthRequest,
  type ExtractOptions,
} from './extract/extract-credentials.js';
import type { AuthProvider } from './provider.js';
import { AuthResult } from './result.js';

/** Options of {@link createAuthenticator}. Give `providers` (a chain is built) or `chain`. */
export interface AuthenticatorOptions {
  /** Providers, in chain order. */
  providers?: readonly AuthProvider[];
  /** Chain mode for `providers`. Default `anyOf`. */
  mode?: ChainMode;
  /** A ready chain (or a single provider) instead of `providers`. */
  chain?: AuthProvider;
  /** Every provider by name; default: the `providers` given. */
  registry?: ProviderRegistry;
  /** How credentials are read from requests. */
  extract?: ExtractOptions;
  logger?: Logger;
  /** Runs on {@link Authenticator.close}, after the providers are closed. */
  onClose?: () => Promise<void>;
}

/**
 * Request in, result out: credential extraction plus the provider chain, as one object the
 * gateway and registry hold. `authenticateRequest` never throws.
 */
export class Authenticator {
  readonly chain: AuthProvider;
  readonly registry: ProviderRegistry;
  readonly extractOptions: ExtractOptions;
  readonly #logger: Logger;
  readonly #onClose: (() => Promise<void>) | undefined;
  #credentialHeaders: readonly string[] | undefined;

  constructor(options: AuthenticatorOptions) {
    this.registry = options.registry ?? new ProviderRegistry();
    if (!options.registry) for (const p of options.providers ?? []) this.registry.register(p);
    this.chain =
      options.chain ??
      createProviderChain({
        providers: options.providers ?? this.registry.list(),
        ...(options.mode === undefined ? {} : { mode: options.mode }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      });
    this.extractOptions = options.extract ?? {};
    this.#logger = redactingLogger(options.logger ?? silentLogger);
    this.#onClose = options.onClose;
  }

  /** The credentials of a request, read with this authenticator's extraction options. */
  extract(request: AuthRequest): AuthCredentials {
    return extractCredentials(request, this.extractOptions);
  }

  /**
   * Lower-case names of every request header this authenticator reads a credential or an
   * asserted identity from: `authorization`, the extraction's configured headers (`x-api-key`, a
   * custom `x-acme-key`, the client certificate header) and the headers providers read
   * themselves (a trusted proxy's user and groups headers). A gateway strips them all from what
   * it forwards, so a credential that authenticated the caller never reaches an upstream.
   *
   * @example
   * injectToken({ transport: 'http', headers }, token, upstream.oauth, {
   *   stripHeaders: auth.credentialHeaders(),
   * });
   */
  credentialHeaders(): readonly string[] {
    this.#credentialHeaders ??= Object.freeze([
      ...new Set([
        ...extractionHeaders(this.extractOptions),
        ...(this.chain.credentialHeaders?.() ?? []).map((name) => name.toLowerCase()),
      ]),
    ]);
    return this.#credentialHeaders;
  }

  /** Authenticates already extracted credentials through the chain. */
  authenticate(credentials: AuthCredentials): Promise<AuthResult> {
    return this.chain.authenticate(credentials);
  }

  /** Extracts and authenticates. Never throws: a failure of any kind is an `AuthResult`. */
  async authenticateRequest(request: AuthRequest): Promise<AuthResult> {
    try {
      return await this.chain.authenticate(this.extract(request));
    } catch (cause) {
      this.#logger.error(
        {
          error: errorMessage(cause),
        },
        'authentication failed unexpectedly',
      );
      return new AuthResult({
        status: 'error',
        error: 'internal-error',
        message: 'Authentication failed internally',
        source: { provider: this.chain.name, method: 'custom' },
      });
    }
  }

  /** Closes providers, then whatever the authenticator opened itself (Redis connections). */
  async close(): Promise<void> {
    await this.chain.close?.();
    await this.#onClose?.();
  }
}

/**
 * An {@link Authenticator} from provider objects.
 *
 * @example
 * const auth = createAuthenticator({ providers: [mtls, jwt], mode: 'anyOf' });
 * const result = await auth.authenticateRequest(req);
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  return new Authenticator(options);
}
