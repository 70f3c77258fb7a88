import type { ReasonCode } from '@etdi/core';

/**
 * The seam between the gateway's proxy (transports, sessions, auth, forwarding) and its tool
 * guard (trust sources, verification, attested copies, pins, audit, byte-level cache). The proxy
 * parses only what it must and hands the guard every `tools/list` response it sees; the guard
 * answers every `tools/call` from what it verified. Any upstream transport (Streamable HTTP,
 * stdio, stateless) goes through the same guard.
 */

/** Who is asking and through which upstream: the audit record's context. */
export interface GuardContext {
  /** The configured upstream name (`upstreams.<name>`). */
  readonly upstream: string;
  /** The downstream `Mcp-Session-Id`, when the session-based revisions are spoken. */
  readonly sessionId?: string | undefined;
  /** The authenticated principal's id; undefined when client auth is off (anonymous). */
  readonly principal?: string | undefined;
  /**
   * The gateway's own listing id, where the gateway pages for the caller (`/mcp`): pages of two
   * listings never count as one, even for one principal.
   */
  readonly listing?: string | undefined;
}

/** A `tools/list` response after the guard rewrote it. */
export interface ListRewrite {
  /**
   * The JSON-RPC message text to send downstream: the upstream's message with its `tools`
   * verified (enforce: rejected ones dropped; report: flagged), attested tools replaced by their
   * signed copies. A JSON-RPC error message, or anything that is not a tools/list result, comes
   * back unchanged.
   */
  readonly text: string;
  readonly verified: number;
  readonly rejected: number;
  /** Whether the answer came from the byte-level cache (no parse, no crypto). */
  readonly cached: boolean;
}

/** Why a `tools/call` may not go upstream: a reason code, or a tool the upstream never listed. */
export type CallRefusal = ReasonCode | 'unknown-tool';

/** The guard's answer for one `tools/call`. */
export type CallDecision =
  | {
      readonly ok: true;
      /** The signed `perms`: the caller's scopes must cover them. */
      readonly perms: readonly string[];
      /** Provider and version of the verified definition; `undefined` when `reported` is set. */
      readonly iss: string | undefined;
      readonly ver: string | undefined;
      /**
       * Report mode only: the refusal enforce mode would have made. The call goes upstream (with
       * `perms` empty: an unverified tool has no signed perms) and the guard has audited it.
       */
      readonly reported?: { readonly reason: CallRefusal; readonly detail: string } | undefined;
    }
  | { readonly ok: false; readonly reason: CallRefusal; readonly detail: string };

/** What `/readyz` reports about trust. */
export interface GuardReadiness {
  readonly ok: boolean;
  /** Why not ready (trust not loaded, revocation list expired, registry unreachable too long). */
  readonly detail?: string;
}

/** The tool guard, as the proxy sees it. */
export interface ToolGuard {
  /**
   * Verifies and rewrites one upstream JSON-RPC message that answers a `tools/list` request (the
   * body of a JSON response, or the `data` of one SSE event), exactly as received. `cursor` is
   * the request's `params.cursor`: a first page (no cursor) starts a new listing; a page whose
   * cursor this guard saw handed out to the same upstream, session, principal and listing is
   * checked against the earlier pages of that listing: a name repeated across pages makes this
   * one answer a `malformed` JSON-RPC error, and no decision of that page is remembered. A cursor
   * nobody was handed continues no listing (its page is verified on its own).
   *
   * Never rejects for what the upstream sent: a message that is not JSON, repeats a member name,
   * or has a result without a `tools` array, and a pin store that cannot be reached, all come
   * back as a JSON-RPC error message (`-32603`, `data.reason` when there is a reason code) for
   * the same id, so no unverified tool can slip through. It rejects only for an upstream name
   * that is not configured (a bug of the caller).
   */
  rewriteToolsList(
    ctx: GuardContext,
    messageText: string,
    cursor: string | undefined,
  ): Promise<ListRewrite>;
  /**
   * Whether `tools/call` of `name` may go upstream: the tool must be one the guard verified for
   * this upstream and still be current (not expired or revoked since), checked from the cache.
   */
  checkCall(ctx: GuardContext, name: string): CallDecision | Promise<CallDecision>;
  /** The upstream said `notifications/tools/list_changed`: its next list is verified afresh. */
  listChanged(upstream: string): void;
  readiness(): GuardReadiness;
  /** Stops refresh timers and file watchers; closes stores the guard opened. */
  close(): Promise<void>;
}
