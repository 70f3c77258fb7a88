import {
  CodedError,
  codeGuard,
  defineCodes,
  REASON_CODES,
  type CodedErrorOptions,
} from '@etdi/core';

/**
 * Codes of {@link RegistryError}: every verification reason code (a refused tool names the first
 * failing check), and the registry's own refusals. Each maps to one HTTP status
 * ({@link statusOfCode}); problem+json responses carry the code as their `code` member.
 */
export const REGISTRY_ERROR_CODES = defineCodes([
  ...REASON_CODES,
  'invalid-request',
  'invalid-json',
  'duplicate-member',
  'invalid-provider-id',
  'not-owner',
  'admin-required',
  'not-found',
  'provider-exists',
  'confusable-provider',
  'key-conflict',
  'invalid-key',
  'version-yanked',
  'payload-too-large',
  'unsupported-media-type',
  'rate-limited',
  'store-unavailable',
  'not-ready',
  'invalid-config',
  'internal-error',
]);

/** One code of {@link REGISTRY_ERROR_CODES}. */
export type RegistryErrorCode = (typeof REGISTRY_ERROR_CODES)[number];

/** Type guard for {@link RegistryErrorCode}. */
export const isRegistryErrorCode = codeGuard(REGISTRY_ERROR_CODES);

const STATUS: Partial<Record<RegistryErrorCode, number>> = {
  'invalid-request': 400,
  'invalid-json': 400,
  'duplicate-member': 400,
  'invalid-provider-id': 400,
  'not-owner': 403,
  'admin-required': 403,
  'not-found': 404,
  'provider-exists': 409,
  'confusable-provider': 409,
  'key-conflict': 409,
  'version-yanked': 409,
  'rug-pull': 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  'store-unavailable': 503,
  'not-ready': 503,
  'invalid-config': 500,
  'internal-error': 500,
};

/**
 * The HTTP status of a code: a verification reason code is 422 (the request was understood,
 * the tool was refused), except `rug-pull`, which is a 409 conflict with what is stored.
 */
export function statusOfCode(code: RegistryErrorCode): number {
  return STATUS[code] ?? 422;
}

/** Options of {@link RegistryError}: the family's options plus what a problem response shows. */
export interface RegistryErrorOptions extends CodedErrorOptions {
  /** Extension members of the problem+json response (e.g. `tool`, `existing`, `errors`). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of `@etdi/registry`. Callers switch on `code`; the HTTP layer turns it into
 * an RFC 9457 problem with the same `code`, `status` from {@link statusOfCode}, the message as
 * `detail` and `pointer` when the error is about one member of the request.
 *
 * @example
 * throw new RegistryError('not-owner', 'this API key publishes for com.acme, not com.evil', {
 *   pointer: '/tools/0',
 * });
 */
export class RegistryError extends CodedError<RegistryErrorCode> {
  override readonly name = 'RegistryError';
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: RegistryErrorCode, message: string, options?: RegistryErrorOptions) {
    super(code, message, options);
    this.details = options?.details;
  }

  /** The HTTP status this error answers with. */
  get status(): number {
    return statusOfCode(this.code);
  }
}
