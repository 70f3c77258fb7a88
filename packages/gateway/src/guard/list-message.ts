import type { ReasonCode } from '@etdi/core';

/** The `_meta` member report mode adds to a rejected tool. */
export const VERIFICATION_META_KEY = 'io.etdi/verification';

/** JSON-RPC "Internal error": what a client gets when the gateway cannot vouch for a list. */
export const JSONRPC_INTERNAL_ERROR = -32603;

/** Whether `value` is a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The message serialized with a hole where its `id` value goes: `head + idText + tail` is the
 * message. Member order is kept. `undefined` when the message has no own `id`.
 */
export function serializeAroundId(
  message: Record<string, unknown>,
): { readonly head: string; readonly tail: string } | undefined {
  const before: string[] = [];
  const after: string[] = [];
  let seen = false;
  for (const [key, value] of Object.entries(message)) {
    if (key === 'id') {
      seen = true;
      continue;
    }
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) continue;
    (seen ? after : before).push(`${JSON.stringify(key)}:${text}`);
  }
  if (!seen) return undefined;
  return {
    head: `{${before.map((m) => `${m},`).join('')}"id":`,
    tail: `${after.map((m) => `,${m}`).join('')}}`,
  };
}

/**
 * A JSON-RPC error answering the request `idText` (the id's JSON text, `null` if unknown), with
 * the reason code in `data.reason` as clients see it for refused calls too.
 */
export function errorResponse(idText: string, message: string, reason?: ReasonCode): string {
  const error = {
    code: JSONRPC_INTERNAL_ERROR,
    message,
    ...(reason === undefined ? {} : { data: { reason } }),
  };
  return `{"jsonrpc":"2.0","id":${idText},"error":${JSON.stringify(error)}}`;
}

/** The tool with `_meta["io.etdi/verification"] = { ok: false, reason }` (report mode). */
export function flagged(
  tool: Record<string, unknown>,
  reason: ReasonCode,
): Record<string, unknown> {
  const meta = isRecord(tool._meta) ? tool._meta : {};
  return { ...tool, _meta: { ...meta, [VERIFICATION_META_KEY]: { ok: false, reason } } };
}
