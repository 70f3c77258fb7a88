import { CodedError, codeGuard, defineCodes } from '@etdi/core';

/**
 * Codes of {@link GatewayError}: the errors of start-up (a configuration document, a trust file,
 * a store that cannot be used) and of administrative calls. Verification never throws: a tool
 * that fails is a decision with a reason code, not an error.
 */
export const GATEWAY_ERROR_CODES = defineCodes([
  'invalid-config',
  'trust-unavailable',
  'store-error',
  'not-found',
  'conflict',
  'internal-error',
]);

/** One code of {@link GATEWAY_ERROR_CODES}. */
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** Type guard for {@link GatewayErrorCode}. */
export const isGatewayErrorCode = codeGuard(GATEWAY_ERROR_CODES);

/**
 * The one error class of `@etdi/gateway`. Callers switch on `code`; `pointer` names the
 * configuration member at fault (e.g. `/trust/jwks/0`).
 *
 * @example
 * try { await createToolGuard(config, { baseDir }) } catch (e) {
 *   if (e instanceof GatewayError && e.code === 'invalid-config') console.error(e.message);
 * }
 */
export class GatewayError extends CodedError<GatewayErrorCode> {
  override readonly name = 'GatewayError';
}
