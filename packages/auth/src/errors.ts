import {
  CodedError,
  codeGuard,
  defineCodes,
  type CodedErrorOptions,
  type SchemaIssue,
} from '@etdi/core';

/**
 * Codes of {@link AuthError}. `authenticate` never throws; these are the errors of start-up
 * (configuration) and of administrative calls (issuing keys, hashing passwords), and
 * `internal-error` for a failure that is a bug or an unexpected dependency fault.
 */
export const AUTH_ERROR_CODES = defineCodes([
  'invalid-config',
  'unknown-provider',
  'unknown-provider-type',
  'duplicate-provider',
  'invalid-argument',
  'invalid-password-hash',
  'store-error',
  'fetch-failed',
  'internal-error',
]);

/** One code of {@link AUTH_ERROR_CODES}. */
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** Narrows an unknown value to {@link AuthErrorCode}. */
export const isAuthErrorCode = codeGuard(AUTH_ERROR_CODES);

/** Options of {@link AuthError}. */
export interface AuthErrorOptions extends CodedErrorOptions {
  /** Every problem found in a configuration, each located by its JSON pointer. */
  readonly issues?: readonly SchemaIssue[] | undefined;
}

/**
 * The one error class of `@etdi/auth`. Callers switch on `code`, never on `message`; `pointer`
 * locates the (first) offending configuration member and `issues` lists every one.
 *
 * @example
 * try { await buildAuthenticator(config) } catch (e) {
 *   if (e instanceof AuthError && e.code === 'invalid-config') console.error(e.issues);
 * }
 */
export class AuthError extends CodedError<AuthErrorCode> {
  override readonly name = 'AuthError';
  /** Every configuration problem found, not only the first. */
  readonly issues: readonly SchemaIssue[];

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    const pointer = options.pointer ?? options.issues?.[0]?.pointer;
    super(code, message, { cause: options.cause, pointer });
    this.issues =
      options.issues ??
      (options.pointer === undefined ? [] : [{ pointer: options.pointer, message }]);
  }

  override toJSON(): Record<string, unknown> {
    return this.issues.length > 1 ? { ...super.toJSON(), issues: this.issues } : super.toJSON();
  }
}
