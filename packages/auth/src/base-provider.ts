import type { ValidateFunction } from 'ajv';
import { errorMessage, redactingLogger, schemaIssues, silentLogger, type Logger } from '@etdi/core';
import type { AuthCredentials } from './credentials.js';
import type { AuthFailureCode } from './failure-codes.js';
import type { AuthProvider, ConfigValidation } from './provider.js';
import { AuthResult, type AuthResultInit, type AuthSource } from './result.js';
import type { AuthSession, SessionStore } from './sessions/session-store.js';
import type { AuthMethod, AuthStatus } from './status.js';
import { randomId } from './util/hash.js';

/** Options every provider accepts. */
export interface BaseProviderOptions {
  /** Name in the registry and in `AuthResult.source`. Each provider has a default. */
  name?: string;
  /** Where decisions are logged (redacted). Default: nothing is logged. */
  logger?: Logger;
  /** Clock, epoch milliseconds. Default `Date.now`; tests inject one instead of sleeping. */
  now?: () => number;
  /**
   * Opens a session on each success when set, so `validateSession` and `refreshAuthentication`
   * have something to work on. Leave unset on a hot path that authenticates every request.
   */
  sessions?: SessionStore;
  /** Upper bound of a session's life; never beyond the credential's own expiry. Default 1 h. */
  sessionTtlMs?: number;
}

/** Members of a success, without the ones the provider fills in. */
export type SuccessInit = Omit<AuthResultInit, 'status' | 'source' | 'message'> & {
  message?: string;
  method?: AuthMethod;
};

/** Members of a failure besides status, code and message. */
export type FailureInit = Omit<AuthResultInit, 'status' | 'source' | 'message' | 'error'> & {
  method?: AuthMethod;
};

/**
 * What the built-in providers share, and the base for custom ones: the never-throw guarantee,
 * decision logging, sessions, and result constructors that fill in `source`.
 *
 * @example
 * class HeaderSecretProvider extends BaseAuthProvider {
 *   readonly version = '1.0.0';
 *   protected readonly method = 'custom';
 *   supportedMethods() { return ['custom'] as const; }
 *   protected async authenticateCredentials(c: AuthCredentials) {
 *     return c.header('x-secret') === 'ok' ? this.success({ userId: 'svc' })
 *       : this.failure('invalid-credentials', 'invalid-api-key', 'wrong secret');
 *   }
 * }
 */
export abstract class BaseAuthProvider implements AuthProvider {
  readonly name: string;
  abstract readonly version: string;
  /** The method recorded in results unless a result names another. */
  protected abstract readonly method: AuthMethod;
  protected readonly logger: Logger;
  protected readonly now: () => number;
  protected readonly sessions: SessionStore | undefined;
  protected readonly sessionTtlMs: number;
  readonly #sourceCache = new Map<AuthMethod, AuthSource>();
  /**
   * Whether `refreshAuthentication` needs a live session. OAuth turns this off: its refresh
   * token outlives the access token, and so the session that expired with it.
   */
  protected readonly refreshRequiresSession: boolean = true;

  protected constructor(defaultName: string, options: BaseProviderOptions = {}) {
    this.name = options.name ?? defaultName;
    this.logger = redactingLogger(options.logger ?? silentLogger);
    this.now = options.now ?? Date.now;
    this.sessions = options.sessions;
    this.sessionTtlMs = options.sessionTtlMs ?? 3_600_000;
  }

  abstract supportedMethods(): readonly AuthMethod[];

  /**
   * Headers this provider reads itself (through `credentials.header(name)`), lower case. None by
   * default; a provider that reads its own header overrides this, so that header never reaches an
   * upstream either.
   */
  credentialHeaders(): readonly string[] {
    return [];
  }

  /** The provider's own check. May throw: {@link authenticate} turns a throw into `error`. */
  protected abstract authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult>;

  /** Provider-specific re-check of a live session (key still active, token not revoked). */
  protected async sessionStillValid(_session: AuthSession): Promise<boolean> {
    return true;
  }

  /** Non-secret facts to keep in a session for {@link sessionStillValid}. */
  protected sessionData(_result: AuthResult): AuthSession['data'] {
    return undefined;
  }

  async authenticate(credentials: AuthCredentials): Promise<AuthResult> {
    let result: AuthResult;
    try {
      result = await this.authenticateCredentials(credentials);
      if (result.isSuccess && this.sessions && !result.anonymous) {
        result = await this.#openSession(result);
      }
    } catch (cause) {
      this.logger.error(
        {
          provider: this.name,
          error: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
        },
        'auth provider failed unexpectedly',
      );
      result = this.failure('error', 'internal-error', `Provider "${this.name}" failed internally`);
    }
    this.#logDecision(result, credentials);
    return result;
  }

  async validateSession(sessionId: string): Promise<boolean> {
    if (!this.sessions || typeof sessionId !== 'string' || sessionId.length === 0) return false;
    try {
      const session = await this.sessions.get(sessionId);
      if (!session || session.provider !== this.name || session.expiresAt <= this.now()) {
        return false;
      }
      return await this.sessionStillValid(session);
    } catch (cause) {
      this.logger.warn(
        {
          provider: this.name,
          error: errorMessage(cause),
        },
        'session validation failed',
      );
      return false;
    }
  }

  /**
   * Re-authenticates with fresh credentials and replaces the session. The identity may not
   * change across a refresh: a refresh that names another user is refused.
   */
  async refreshAuthentication(
    sessionId: string,
    credentials: AuthCredentials,
  ): Promise<AuthResult> {
    try {
      const found = this.sessions ? await this.sessions.get(sessionId) : undefined;
      const previous = found?.provider === this.name ? found : undefined;
      if (this.sessions && this.refreshRequiresSession && !previous) {
        return this.failure('invalid-credentials', 'unknown-session', 'Unknown or expired session');
      }
      const result = await this.refreshCredentials(credentials);
      if (!result.isSuccess) return result;
      if (previous && previous.userId !== result.userId) {
        return this.failure(
          'invalid-credentials',
          'identity-mismatch',
          'The refreshed credentials belong to another user than the session',
        );
      }
      if (previous) await this.sessions?.delete(previous.id);
      return result;
    } catch (cause) {
      this.logger.error(
        {
          provider: this.name,
          error: errorMessage(cause),
        },
        'refresh failed unexpectedly',
      );
      return this.failure('error', 'internal-error', `Provider "${this.name}" failed internally`);
    }
  }

  /** How a refresh authenticates; by default the credentials are simply checked again. */
  protected refreshCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    return this.authenticate(credentials);
  }

  async #openSession(result: AuthResult): Promise<AuthResult> {
    const now = this.now();
    const expiresAt = Math.min(now + this.sessionTtlMs, result.expiresAt ?? Infinity);
    const session: AuthSession = {
      id: randomId(),
      provider: this.name,
      method: result.source.method,
      ...(result.userId === undefined ? {} : { userId: result.userId }),
      ...(result.projectId === undefined ? {} : { projectId: result.projectId }),
      permissions: result.permissions,
      roles: result.roles,
      createdAt: now,
      expiresAt,
      ...(this.sessionData(result) === undefined ? {} : { data: this.sessionData(result) }),
    };
    try {
      await this.sessions?.create(session);
    } catch (cause) {
      this.logger.error(
        {
          provider: this.name,
          error: errorMessage(cause),
        },
        'session store unavailable',
      );
      return this.failure('error', 'store-unavailable', 'The session store is unavailable');
    }
    return result.with({ sessionId: session.id });
  }

  #logDecision(result: AuthResult, credentials: AuthCredentials): void {
    const level =
      result.isSuccess || result.error === 'no-credentials'
        ? 'debug'
        : result.status === 'error'
          ? 'warn'
          : 'info';
    // Building the line costs more than a cached authentication: skip it when nobody reads it.
    if (this.logger.isLevelEnabled?.(level) === false) return;
    this.logger[level](
      {
        provider: this.name,
        method: result.source.method,
        status: result.status,
        error: result.error,
        userId: result.userId,
        // Optional chaining: a JavaScript caller may pass anything, and logging must not throw.
        remoteAddress: credentials?.context?.remoteAddress,
        path: credentials?.context?.path,
      },
      `auth ${result.status}: ${result.message}`,
    );
  }

  #source(method: AuthMethod | undefined): AuthSource {
    const m = method ?? this.method;
    let source = this.#sourceCache.get(m);
    if (!source) {
      source = Object.freeze({ provider: this.name, method: m });
      this.#sourceCache.set(m, source);
    }
    return source;
  }

  /** A success from this provider. */
  protected success(init: SuccessInit): AuthResult {
    // AuthResult reads only its own members, so `method` riding along in the copy is harmless.
    // Object.assign, not `{ ...init, status }`: V8 (Node 20) runs spread-then-add in the runtime,
    // which cost more than the rest of an API key check. `method` riding along is ignored.
    return new AuthResult(
      Object.assign({}, init, {
        status: 'success' as const,
        message: init.message ?? 'Authenticated',
        source: this.#source(init.method),
      }),
    );
  }

  /** A failure from this provider, with its status, code and message. */
  protected failure(
    status: Exclude<AuthStatus, 'success'>,
    error: AuthFailureCode,
    message: string,
    init: FailureInit = {},
  ): AuthResult {
    return new AuthResult(
      Object.assign({}, init, { status, error, message, source: this.#source(init.method) }),
    );
  }

  /** "Nothing for me here": the request carries no credential of this provider's kind. */
  protected noCredentials(message: string): AuthResult {
    return this.failure('failure', 'no-credentials', message);
  }
}

/** {@link AuthProvider.validateConfig} from a compiled schema. */
export function validateWithSchema(validate: ValidateFunction, config: unknown): ConfigValidation {
  const valid = validate(config);
  return { valid, issues: valid ? [] : schemaIssues(validate.errors) };
}
