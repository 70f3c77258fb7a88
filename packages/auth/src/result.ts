import { inspect, type InspectOptions } from 'node:util';
import { maskSecret } from '@etdi/core';
import type { AuthFailureCode } from './failure-codes.js';
import type { AuthMethod, AuthStatus } from './status.js';
import type { TokenSet } from './token-set.js';

// Results are built on every request: share the empty values and copy a list only when the
// caller's is not frozen already, so a result costs a handful of allocations.
const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_RECORD: Readonly<Record<string, unknown>> = Object.freeze({});

function frozenList<T>(list: readonly T[] | undefined): readonly T[] {
  if (list === undefined || list.length === 0) return EMPTY_LIST;
  return Object.isFrozen(list) ? list : Object.freeze(list.slice());
}

function frozenRecord(
  record: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> {
  return Object.isFrozen(record) ? record : Object.freeze({ ...record });
}

/** Which provider decided, and by which method. */
export interface AuthSource {
  readonly provider: string;
  readonly method: AuthMethod;
}

/** Members of an {@link AuthResult}. */
export interface AuthResultInit {
  status: AuthStatus;
  message: string;
  source: AuthSource;
  /** Every provider that took part; defaults to `[source]`. A chain in `allOf` mode lists all. */
  sources?: readonly AuthSource[];
  userId?: string;
  projectId?: string;
  sessionId?: string;
  permissions?: readonly string[];
  roles?: readonly string[];
  metadata?: Readonly<Record<string, unknown>>;
  error?: AuthFailureCode;
  /** Accepted without naming anyone (client authentication disabled). */
  anonymous?: boolean;
  /** When the credential stops being valid, epoch milliseconds. */
  expiresAt?: number;
  /** For `rate-limited`: how long until the caller may try again. */
  retryAfterMs?: number;
  /** New tokens from a refresh, to hand back to the caller. */
  tokens?: TokenSet;
}

/**
 * The outcome of one authentication. `authenticate` always returns one, never throws: every
 * failure carries a {@link AuthStatus}, a message a person can act on, and an
 * {@link AuthFailureCode} a program can switch on.
 *
 * @example
 * const result = await chain.authenticate(credentials);
 * if (!result.isSuccess) reply.code(httpStatusFor(result.status)).send({ error: result.error });
 */
export class AuthResult {
  readonly status: AuthStatus;
  /** True exactly when `status` is `success`. */
  readonly authenticated: boolean;
  readonly message: string;
  readonly userId: string | undefined;
  readonly projectId: string | undefined;
  readonly sessionId: string | undefined;
  /** Granted permissions (OAuth scopes); {@link scopes} is the same list. */
  readonly permissions: readonly string[];
  readonly roles: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly error: AuthFailureCode | undefined;
  readonly source: AuthSource;
  #sources: readonly AuthSource[] | undefined;
  readonly anonymous: boolean;
  readonly expiresAt: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly tokens: TokenSet | undefined;

  constructor(init: AuthResultInit) {
    this.status = init.status;
    this.authenticated = init.status === 'success';
    this.message = init.message;
    this.userId = init.userId;
    this.projectId = init.projectId;
    this.sessionId = init.sessionId;
    this.permissions = frozenList(init.permissions);
    this.roles = frozenList(init.roles);
    this.metadata = init.metadata === undefined ? EMPTY_RECORD : frozenRecord(init.metadata);
    this.error = init.status === 'success' ? undefined : (init.error ?? 'internal-error');
    this.source = init.source;
    this.#sources = init.sources === undefined ? undefined : frozenList(init.sources);
    this.anonymous = init.anonymous ?? false;
    this.expiresAt = init.expiresAt;
    this.retryAfterMs = init.retryAfterMs;
    this.tokens = init.tokens;
  }

  /** Every provider that took part; `[source]` unless a chain in `allOf` mode combined several. */
  get sources(): readonly AuthSource[] {
    return (this.#sources ??= Object.freeze([this.source]));
  }

  /** The caller is authenticated. */
  get isSuccess(): boolean {
    return this.status === 'success' && this.authenticated;
  }

  /** Alias of {@link permissions}: OAuth calls them scopes. */
  get scopes(): readonly string[] {
    return this.permissions;
  }

  /** A copy with some members replaced. */
  with(changes: Partial<AuthResultInit>): AuthResult {
    return new AuthResult(Object.assign(this.#init(), changes));
  }

  #init(): AuthResultInit {
    return {
      status: this.status,
      message: this.message,
      source: this.source,
      sources: this.sources,
      userId: this.userId,
      projectId: this.projectId,
      sessionId: this.sessionId,
      permissions: this.permissions,
      roles: this.roles,
      metadata: this.metadata,
      error: this.error,
      anonymous: this.anonymous,
      expiresAt: this.expiresAt,
      retryAfterMs: this.retryAfterMs,
      tokens: this.tokens,
    };
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      status: this.status,
      authenticated: this.authenticated,
      isSuccess: this.isSuccess,
      message: this.message,
      source: this.source,
    };
    if (this.error !== undefined) out.error = this.error;
    if (this.userId !== undefined) out.userId = this.userId;
    if (this.projectId !== undefined) out.projectId = this.projectId;
    // A session id is a bearer secret: shown masked, like every other one.
    if (this.sessionId !== undefined) out.sessionId = maskSecret(this.sessionId, 4);
    if (this.permissions.length > 0) out.permissions = this.permissions;
    if (this.roles.length > 0) out.roles = this.roles;
    if (Object.keys(this.metadata).length > 0) out.metadata = this.metadata;
    if (this.sources.length > 1) out.sources = this.sources;
    if (this.anonymous) out.anonymous = true;
    if (this.expiresAt !== undefined) out.expiresAt = this.expiresAt;
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    if (this.tokens !== undefined) out.tokens = this.tokens.toJSON();
    return out;
  }

  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `AuthResult ${inspect(this.toJSON(), { ...options, depth: 4 })}`;
  }
}
