/**
 * Codes of {@link AuthError}. `authenticate` never throws; these are the errors of start-up
 * (configuration) and of administrative calls (issuing keys, hashing passwords).
 */
export type AuthErrorCode =
  | 'invalid-config'
  | 'unknown-provider'
  | 'unknown-provider-type'
  | 'duplicate-provider'
  | 'invalid-argument'
  | 'invalid-password-hash'
  | 'store-error'
  | 'fetch-failed';

/** One problem in a configuration document, located by a JSON pointer (RFC 6901). */
export interface ConfigIssue {
  /** JSON pointer of the offending member, e.g. `/providers/jwt/algorithms/0`. */
  readonly pointer: string;
  readonly message: string;
}

/**
 * The one error class of `@etdi/auth`. Callers switch on `code`, never on `message`.
 *
 * @example
 * try { buildAuthenticator(config) } catch (e) {
 *   if (e instanceof AuthError && e.code === 'invalid-config') console.error(e.issues);
 * }
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  /** JSON pointer of the first offending configuration member, when the error is about one. */
  readonly pointer: string | undefined;
  /** Every configuration problem found, not only the first. */
  readonly issues: readonly ConfigIssue[];

  constructor(
    code: AuthErrorCode,
    message: string,
    options?: { cause?: unknown; pointer?: string; issues?: readonly ConfigIssue[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.pointer = options?.pointer ?? options?.issues?.[0]?.pointer;
    this.issues =
      options?.issues ??
      (options?.pointer === undefined ? [] : [{ pointer: options.pointer, message }]);
  }
}

/** Escapes one reference token of a JSON pointer (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}
