import { findDuplicateMember } from '@etdi/core';

/** JSON-RPC 2.0 error codes the gateway answers with (the wire family, not `GatewayError`). */
export const JSON_RPC = Object.freeze({
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  /** Server-defined: the gateway could not get an answer from the upstream. */
  upstreamError: -32000,
  /** Server-defined, as the MCP SDK uses it: the session is unknown. */
  sessionNotFound: -32001,
  /** Server-defined: refused before reaching the upstream (origin, scope, size). */
  forbidden: -32003,
});

/**
 * The notifications an MCP client may send (2025-06-18 to 2026-07-28): the only messages without
 * an id the gateway passes on. Anything else without an id is a request missing its id.
 */
export const CLIENT_NOTIFICATIONS: ReadonlySet<string> = new Set([
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
]);

/** A JSON-RPC id as the gateway echoes it. */
export type JsonRpcId = string | number | null;

/** What the gateway reads of one downstream message. */
export interface InspectedMessage {
  /** The request id, or null for notifications and responses. */
  readonly id: JsonRpcId;
  /** The method of a request or notification; undefined for responses. */
  readonly method: string | undefined;
  /** `params.name` of `tools/call` (undefined when it is not a string). */
  readonly toolName: string | undefined;
  /** `params.cursor` of `tools/list`. */
  readonly cursor: string | undefined;
  /** `params`, for methods whose params the gateway checks. */
  readonly params: unknown;
}

/** A message the gateway refuses before anything is sent upstream. */
export interface RefusedMessage {
  readonly status: number;
  readonly code: number;
  readonly message: string;
  readonly id: JsonRpcId;
}

/**
 * Reads one downstream POST body: exactly one JSON-RPC message. Malformed JSON is `-32700`; a
 * batch (removed from MCP in 2025-06-18), a non-object, or a member name given twice (which
 * the upstream's parser may read differently than ours: `"name"` twice in a `tools/call`) is
 * `-32600`. So is an `id` that is present but not a string or a number, and a message with a
 * method but no id that is not one of the {@link CLIENT_NOTIFICATIONS}: a request without an id
 * would otherwise pass as a notification, past every check made of requests (`tools/call`).
 * Anything else is passed on, understood or not.
 */
export function inspectMessage(
  body: Buffer,
):
  | { readonly ok: true; readonly message: InspectedMessage }
  | { readonly ok: false; readonly error: RefusedMessage } {
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse(400, JSON_RPC.parseError, 'Parse error: the body is not JSON', null);
  }
  if (Array.isArray(value)) {
    return refuse(
      400,
      JSON_RPC.invalidRequest,
      'Invalid Request: JSON-RPC batches are not supported',
      null,
    );
  }
  if (value === null || typeof value !== 'object') {
    return refuse(
      400,
      JSON_RPC.invalidRequest,
      'Invalid Request: a JSON-RPC message is an object',
      null,
    );
  }
  const message = value as Record<string, unknown>;
  const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : null;
  if (findDuplicateMember(text) !== undefined) {
    return refuse(400, JSON_RPC.invalidRequest, 'Invalid Request: a member name is repeated', id);
  }
  const method = typeof message.method === 'string' ? message.method : undefined;
  // An error response may carry `"id": null` (it answers a request it could not read).
  const nullResponse = method === undefined && message.id === null;
  if (Object.hasOwn(message, 'id') && id === null && !nullResponse) {
    return refuse(
      400,
      JSON_RPC.invalidRequest,
      'Invalid Request: "id" must be a string or a number',
      null,
    );
  }
  if (method !== undefined && !Object.hasOwn(message, 'id') && !CLIENT_NOTIFICATIONS.has(method)) {
    return refuse(
      400,
      JSON_RPC.invalidRequest,
      `Invalid Request: ${JSON.stringify(method)} without an "id" is not a notification a client may send; give the request an id`,
      null,
    );
  }
  const params = message.params;
  const p =
    params !== null && typeof params === 'object' ? (params as Record<string, unknown>) : {};
  return {
    ok: true,
    message: {
      id: method === undefined ? null : id,
      method,
      toolName: method === 'tools/call' && typeof p.name === 'string' ? p.name : undefined,
      cursor: method === 'tools/list' && typeof p.cursor === 'string' ? p.cursor : undefined,
      params,
    },
  };
}

function refuse(
  status: number,
  code: number,
  message: string,
  id: JsonRpcId,
): { readonly ok: false; readonly error: RefusedMessage } {
  return { ok: false, error: { status, code, message, id } };
}

/** The text of a JSON-RPC error response. */
export function jsonRpcError(id: JsonRpcId, code: number, message: string, data?: unknown): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  });
}
