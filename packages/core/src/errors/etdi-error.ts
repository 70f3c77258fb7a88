import { REASON_CODES } from '../reason-codes.js';
import { CodedError, codeGuard, defineCodes } from './coded-error.js';

/**
 * Codes of {@link EtdiError}: every verification reason code, plus the errors of local
 * operations (bad arguments, keys that cannot be used, input JCS cannot represent, documents that
 * do not parse) and `internal-error` for a failure that is a bug or an unexpected dependency
 * fault, never the caller's input.
 */
export const ETDI_ERROR_CODES = defineCodes([
  ...REASON_CODES,
  'invalid-argument',
  'invalid-key',
  'invalid-jwks',
  'not-canonicalizable',
  'invalid-revocation-list',
  'invalid-version',
  'internal-error',
]);

/** One code of {@link ETDI_ERROR_CODES}. */
export type EtdiErrorCode = (typeof ETDI_ERROR_CODES)[number];

/** Type guard for {@link EtdiErrorCode}. */
export const isEtdiErrorCode = codeGuard(ETDI_ERROR_CODES);

/**
 * The one error class of `@etdi/core`. Callers switch on `code`, never on `message`.
 *
 * @example
 * try { canonicalize(value) } catch (e) {
 *   if (e instanceof EtdiError && e.code === 'not-canonicalizable') console.error(e.pointer);
 * }
 */
export class EtdiError extends CodedError<EtdiErrorCode> {
  override readonly name = 'EtdiError';
}

/** Escapes one reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function pointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}
