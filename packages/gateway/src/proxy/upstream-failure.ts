import type { Logger } from '@etdi/core';
import { GatewayError } from '../errors.js';
import { JSON_RPC } from './json-rpc.js';

/** How a failure to get an upstream's answer reaches the caller. */
export interface UpstreamFailure {
  /** The `GatewayError` code, or `internal-error`. */
  readonly code: string;
  /** 504 on a timeout, 503 when a store failed, 500 on a bug, 502 otherwise. */
  readonly status: number;
  /** The JSON-RPC error code, message and data (`reason`: the code). */
  readonly rpc: {
    readonly code: number;
    readonly message: string;
    readonly data: { reason: string };
  };
}

/**
 * Logs a failure to reach an upstream (never with a secret: `GatewayError` messages carry
 * none) and says how to answer the caller. Every MCP path of the gateway answers alike.
 */
export function upstreamFailure(
  logger: Logger,
  upstream: string,
  error: unknown,
  what: string,
): UpstreamFailure {
  const code = error instanceof GatewayError ? error.code : 'internal-error';
  const status =
    code === 'upstream-timeout'
      ? 504
      : code === 'store-error'
        ? 503
        : code === 'internal-error'
          ? 500
          : 502;
  logger.warn(
    { upstream, code, error: error instanceof Error ? error.message : String(error) },
    what,
  );
  return {
    code,
    status,
    rpc: {
      code: JSON_RPC.upstreamError,
      message: error instanceof GatewayError ? error.message : 'Internal error',
      data: { reason: code },
    },
  };
}
