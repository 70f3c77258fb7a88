import type { GuardContext, ToolGuard } from '../guard/tool-guard.js';
import type { UpstreamRpc } from './upstream-rpc.js';

/** An upstream's answer after the guard: a result or a JSON-RPC error. */
export interface GuardedAnswer {
  readonly result: Record<string, unknown> | undefined;
  readonly error: { code: number; message: string; data?: unknown } | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Sends one request through {@link UpstreamRpc} and hands a `tools/list` answer to the guard,
 * exactly as the pass-through proxy hands it the upstream's message: verified, rewritten, cached
 * by bytes, audited. Call checks (`checkToolCall`) are the caller's, before this.
 *
 * @throws {GatewayError} when the upstream cannot be reached or answers garbage.
 */
export async function guardedRequest(
  rpc: UpstreamRpc,
  guard: ToolGuard,
  ctx: GuardContext,
  principal: string,
  method: string,
  params: Readonly<Record<string, unknown>> | undefined,
  signal?: AbortSignal,
): Promise<GuardedAnswer> {
  const answer = await rpc.request(ctx.upstream, principal, { method, params }, signal);
  if (method !== 'tools/list' || !answer.result) return answer;
  const cursor = typeof params?.cursor === 'string' ? params.cursor : undefined;
  const rewritten = JSON.parse((await guard.rewriteToolsList(ctx, answer.text, cursor)).text) as {
    result?: unknown;
    error?: unknown;
  };
  if (isObject(rewritten.result)) return { result: rewritten.result, error: undefined };
  const error = isObject(rewritten.error) ? rewritten.error : {};
  return {
    result: undefined,
    error: {
      code: typeof error.code === 'number' ? error.code : -32603,
      message: typeof error.message === 'string' ? error.message : 'Internal error',
      ...(error.data === undefined ? {} : { data: error.data }),
    },
  };
}
