import { CodedError, codeGuard, defineCodes, type CodedErrorOptions } from '@etdi/core';

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

/** Options of {@link AuthError}: `cause`, `pointer` and `issues`, as every ETDI error takes. */
export type AuthErrorOptions = CodedErrorOptions;

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
}
