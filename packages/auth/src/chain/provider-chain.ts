import { errorMessage, redactingLogger, silentLogger, type Logger } from '@etdi/core';
import type { AuthCredentials } from '../credentials.js';
import type { AuthProvider } from '../provider.js';
import { AuthResult } from '../result.js';
import { AUTH_METHODS, type AuthMethod } from '../status.js';

/** `anyOf`: the first provider that accepts decides. `allOf`: every provider must accept. */
export type ChainMode = 'anyOf' | 'allOf';

/** Options of {@link createProviderChain}. */
export interface ProviderChainOptions {
  /** Default `chain`. */
  name?: string;
  /** Default `anyOf`. */
  mode?: ChainMode;
  /** Tried in this order. */
  providers: readonly AuthProvider[];
  logger?: Logger;
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/**
 * Several providers as one, so a deployment can accept, say, mTLS or a JWT (`anyOf`), or
 * require both (`allOf`). A chain is an {@link AuthProvider} itself, so chains nest.
 *
 * `anyOf`: providers are tried in order and the first success decides. A provider that finds
 * no credential of its kind stands aside (`no-credentials`). When nobody accepts, the first
 * real refusal is the answer: a presented-but-wrong credential is never downgraded to
 * anonymous, and an anonymous acceptance (client auth disabled) only stands when no provider
 * found a credential at all.
 *
 * `allOf`: the first refusal decides. On success the identities must agree (one user id),
 * permissions and roles are the union, `sources` lists every provider, and the result expires
 * with the first credential to expire.
 *
 * Either way, a credential that could not even be read (`credentials.issues`: two
 * Authorization headers, a bad base64, an oversized token) rejects the request up front.
 */
export class ProviderChain implements AuthProvider {
  readonly name: string;
  readonly version = '1.0.0';
  readonly mode: ChainMode;
  readonly providers: readonly AuthProvider[];
  readonly #logger: Logger;

  constructor(options: ProviderChainOptions) {
    this.name = options.name ?? 'chain';
    this.mode = options.mode ?? 'anyOf';
    this.providers = [...options.providers];
    this.#logger = redactingLogger(options.logger ?? silentLogger);
  }

  supportedMethods(): readonly AuthMethod[] {
    const methods = new Set(this.providers.flatMap((p) => p.supportedMethods()));
    return AUTH_METHODS.filter((m) => methods.has(m));
  }

  #fail(
    status: AuthResult['status'],
    error: NonNullable<AuthResult['error']>,
    message: string,
    method: AuthMethod = 'custom',
  ): AuthResult {
    return new AuthResult({ status, error, message, source: { provider: this.name, method } });
  }

  /** A provider's answer; a provider that throws (a bug) yields `error`, not an exception. */
  async #ask(
    provider: AuthProvider,
    call: (p: AuthProvider) => Promise<AuthResult>,
  ): Promise<AuthResult> {
    try {
      return await call(provider);
    } catch (cause) {
      this.#logger.error(
        {
          provider: provider.name,
          error: errorMessage(cause),
        },
        'auth provider threw',
      );
      return new AuthResult({
        status: 'error',
        error: 'internal-error',
        message: `Provider "${provider.name}" failed internally`,
        source: { provider: provider.name, method: provider.supportedMethods()[0] ?? 'custom' },
      });
    }
  }

  async authenticate(credentials: AuthCredentials): Promise<AuthResult> {
    // Optional chaining: a JavaScript caller may pass anything, and this must not throw.
    const problem = credentials?.issues?.[0];
    if (problem) {
      return this.#fail('invalid-credentials', problem.code, problem.message, problem.method);
    }
    return this.mode === 'anyOf'
      ? this.#anyOf((p) => p.authenticate(credentials))
      : this.#allOf(credentials);
  }

  async #anyOf(call: (p: AuthProvider) => Promise<AuthResult>): Promise<AuthResult> {
    let refusal: AuthResult | undefined;
    let anonymous: AuthResult | undefined;
    let standAside: AuthResult | undefined;
    for (const provider of this.providers) {
      const result = await this.#ask(provider, call);
      if (result.isSuccess) {
        if (!result.anonymous) return result;
        anonymous ??= result;
      } else if (result.error === 'no-credentials' || result.error === 'unknown-session') {
        standAside ??= result;
      } else {
        refusal ??= result;
      }
    }
    if (refusal) return refusal;
    if (anonymous) return anonymous;
    if (this.providers.length === 1 && standAside) return standAside;
    const expected = this.supportedMethods().join(', ');
    return this.#fail(
      'failure',
      standAside?.error ?? 'no-credentials',
      `No credentials: expected one of ${expected || '(no providers configured)'}`,
    );
  }

  async #allOf(credentials: AuthCredentials): Promise<AuthResult> {
    if (this.providers.length === 0) {
      return this.#fail('failure', 'no-credentials', 'No providers configured');
    }
    const results: AuthResult[] = [];
    for (const provider of this.providers) {
      const result = await this.#ask(provider, (p) => p.authenticate(credentials));
      if (!result.isSuccess) return result;
      results.push(result);
    }
    const users = unique(results.flatMap((r) => (r.userId === undefined ? [] : [r.userId])));
    if (users.length > 1) {
      return this.#fail(
        'invalid-credentials',
        'identity-mismatch',
        `Credentials name different users (${users.join(', ')})`,
        results[0]!.source.method,
      );
    }
    const expiries = results.flatMap((r) => (r.expiresAt === undefined ? [] : [r.expiresAt]));
    const first = results[0]!;
    const projectId = results.find((r) => r.projectId !== undefined)?.projectId;
    return new AuthResult({
      status: 'success',
      message: `Authenticated by ${results.map((r) => r.source.provider).join(' and ')}`,
      source: first.source,
      sources: results.map((r) => r.source),
      ...(users[0] === undefined ? {} : { userId: users[0] }),
      ...(projectId === undefined ? {} : { projectId }),
      permissions: unique(results.flatMap((r) => r.permissions)),
      roles: unique(results.flatMap((r) => r.roles)),
      metadata: Object.fromEntries(results.map((r) => [r.source.provider, r.metadata])),
      anonymous: results.every((r) => r.anonymous),
      ...(expiries.length === 0 ? {} : { expiresAt: Math.min(...expiries) }),
    });
  }

  async validateSession(sessionId: string): Promise<boolean> {
    for (const provider of this.providers) {
      try {
        if (await provider.validateSession(sessionId)) return true;
      } catch {
        // A provider that throws has not validated the session; the next one may.
      }
    }
    return false;
  }

  async refreshAuthentication(
    sessionId: string,
    credentials: AuthCredentials,
  ): Promise<AuthResult> {
    return this.#anyOf((p) => p.refreshAuthentication(sessionId, credentials));
  }

  /** Every header any provider of the chain reads itself, once each. */
  credentialHeaders(): readonly string[] {
    return unique(this.providers.flatMap((p) => p.credentialHeaders?.() ?? []));
  }

  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.close?.()));
  }
}

/**
 * A chain of providers; see {@link ProviderChain}.
 *
 * @example
 * const chain = createProviderChain({ mode: 'anyOf', providers: [mtls, jwt] });
 * const result = await chain.authenticate(extractCredentials(request));
 */
export function createProviderChain(options: ProviderChainOptions): ProviderChain {
  return new ProviderChain(options);
}
