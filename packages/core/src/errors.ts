import type { ReasonCode } from './reason-codes.js';

/**
 * Codes of {@link EtdiError}: every verification reason code, plus the errors of local
 * operations (bad arguments, keys that cannot be used, input JCS cannot represent, documents that
 * do not parse).
 */
export type EtdiErrorCode =
  | ReasonCode
  | 'invalid-argument'
  | 'invalid-key'
  | 'invalid-jwks'
  | 'not-canonicalizable'
  | 'invalid-revocation-list'
  | 'invalid-version';

/**
 * The one error class of `@etdi/core`. Callers switch on `code`, never on `message`.
 *
 * @example
 * try { canonicalize(value) } catch (e) {
 *   if (e instanceof EtdiError && e.code === 'not-canonicalizable') console.error(e.pointer);
 * }
 */
export class EtdiError extends Error {
  override readonly name = 'EtdiError';
  readonly code: EtdiErrorCode;
  /** JSON pointer (RFC 6901) of the offending member, when the error is about one. */
  readonly pointer: string | undefined;

  constructor(
    code: EtdiErrorCode,
    message: string,
    options?: { cause?: unknown; pointer?: string | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.pointer = options?.pointer;
  }
}

/** Escapes one reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function pointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}
