import { CodedError, codeGuard, defineCodes, type CodedErrorOptions } from '@etdi/core';

/**
 * Codes of {@link GatewayError}, the gateway's local errors (start-up and upstream I/O). What a
 * caller of the gateway sees on the wire are JSON-RPC errors and HTTP statuses, a different
 * family (see `proxy/json-rpc.ts`).
 *
 * - `invalid-config`: the configuration document breaks the schema or a rule; `issues` lists
 *   every problem with its JSON pointer.
 * - `upstream-unavailable`: the upstream refused the connection, reset it, or answered garbage.
 * - `upstream-timeout`: the upstream did not answer within its `timeout`.
 * - `upstream-unauthorized`: the upstream refused the gateway's own credentials (twice, the
 *   second time with a freshly acquired token).
 * - `trust-unavailable`: a trust source (JWKS file, registry) cannot be used at start-up.
 * - `store-error`: a store (Redis session bindings, pins) failed or could not be reached.
 * - `not-found`, `conflict`: administrative calls (approvals) on the guard's admin API.
 * - `internal-error`: a bug or a dependency fault.
 */
export const GATEWAY_ERROR_CODES = defineCodes([
  'invalid-config',
  'trust-unavailable',
  'upstream-unavailable',
  'upstream-timeout',
  'upstream-unauthorized',
  'store-error',
  'not-found',
  'conflict',
  'internal-error',
]);

/** One of {@link GATEWAY_ERROR_CODES}. */
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** Whether a value is a {@link GatewayErrorCode}. */
export const isGatewayErrorCode = codeGuard(GATEWAY_ERROR_CODES);

/** Options of {@link GatewayError}: `cause`, `pointer` and `issues`, as every ETDI error takes. */
export type GatewayErrorOptions = CodedErrorOptions;

/**
 * The one error class of `@etdi/gateway`. Callers switch on `code`.
 *
 * @example
 * try { await buildGateway(document) } catch (e) {
 *   if (e instanceof GatewayError && e.code === 'invalid-config') console.error(e.issues);
 * }
 */
export class GatewayError extends CodedError<GatewayErrorCode> {
  override readonly name = 'GatewayError';
}
