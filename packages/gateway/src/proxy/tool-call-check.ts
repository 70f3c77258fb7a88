import type { AuthResult } from '@etdi/auth';
import type { FastifyReply } from 'fastify';
import type { GuardContext, ToolGuard } from '../guard/tool-guard.js';
import { missingScopesOf, principalOf, refuseInsufficientScope } from '../http/gateway-auth.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ToolListPrefetch } from '../stateless/tool-list-prefetch.js';
import { jsonRpcError, JSON_RPC, type JsonRpcId } from './json-rpc.js';

/** Whether one `tools/call` may go upstream, and if not, the answer the caller gets. */
export type ToolCallVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** The reason code (a guard refusal, or `insufficient-scope`). */
      readonly reason: string;
      /** 200 for a guard refusal (a JSON-RPC error clients show), 403 for missing scopes. */
      readonly status: 200 | 403;
      /** The JSON-RPC error message text. */
      readonly body: string;
      /** With 403: the scopes the tool's signed `perms` require. */
      readonly perms?: readonly string[];
    };

/**
 * The checks before any `tools/call` goes upstream, on every path (the pass-through proxy, the
 * stateless bridge, `/mcp`): the guard must have verified the tool for this upstream and find
 * it still current, and the caller's scopes must cover its signed `perms`. `shownName` is the
 * name the caller used (on `/mcp`, the prefixed one). With `prefetch`, a tool the guard has no
 * decision about (`unknown-tool`) makes the gateway list the upstream through the guard first.
 */
export async function checkToolCall(
  guard: ToolGuard,
  ctx: GuardContext,
  auth: AuthResult | null,
  name: string | undefined,
  id: JsonRpcId,
  shownName: string | undefined = name,
  prefetch?: ToolListPrefetch,
): Promise<ToolCallVerdict> {
  if (name === undefined) {
    return refusal(id, shownName, 'unknown-tool', 'tools/call without a tool name');
  }
  let decision = await guard.checkCall(ctx, name);
  const unknown = decision.ok
    ? decision.reported?.reason === 'unknown-tool'
    : decision.reason === 'unknown-tool';
  // No decision about this tool on this node yet: list the upstream through the guard, then
  // decide again (a stateless client need not list first; another node may have listed).
  if (unknown && prefetch && (await prefetch.refresh(ctx, principalOf(auth)))) {
    decision = await guard.checkCall(ctx, name);
  }
  if (!decision.ok) return refusal(id, shownName, decision.reason, decision.detail);
  const missing = missingScopesOf(auth, decision.perms);
  if (missing.length === 0) return { ok: true };
  return {
    ok: false,
    reason: 'insufficient-scope',
    status: 403,
    perms: decision.perms,
    body: jsonRpcError(id, JSON_RPC.forbidden, 'Forbidden: insufficient scope', {
      reason: 'insufficient-scope',
      missing,
    }),
  };
}

function refusal(
  id: JsonRpcId,
  shownName: string | undefined,
  reason: string,
  detail: string,
): Extract<ToolCallVerdict, { ok: false }> {
  return {
    ok: false,
    reason,
    status: 200,
    body: jsonRpcError(
      id,
      JSON_RPC.invalidParams,
      `Tool ${JSON.stringify(shownName ?? '')} cannot be called: ${reason}`,
      { reason, detail },
    ),
  };
}

/** Where a refused `tools/call` is counted and how its scope challenge points at metadata. */
export interface ToolCallRefusalContext {
  readonly metrics: GatewayMetrics;
  /** The upstream the refusal is counted for. */
  readonly upstream: string;
  /** The `requests` metric's route label (an upstream name, or `/mcp`'s). */
  readonly route: string;
  /** The `requests` metric's method label. */
  readonly method: string;
  readonly resourceMetadataUrl: string;
}

/**
 * Counts and sends a refused verdict, the same on every path: HTTP 200 with the JSON-RPC error,
 * or 403 with the scope challenge.
 */
export function sendToolCallRefusal(
  reply: FastifyReply,
  verdict: Extract<ToolCallVerdict, { ok: false }>,
  where: ToolCallRefusalContext,
): void {
  where.metrics.refusal(where.upstream, verdict.reason);
  where.metrics.request(where.route, where.method, verdict.status);
  if (verdict.status === 403) {
    refuseInsufficientScope(reply, verdict.perms ?? [], where.resourceMetadataUrl, verdict.body);
    return;
  }
  void reply
    .code(200)
    .type('application/json')
    .header('cache-control', 'no-store')
    .send(verdict.body);
}
