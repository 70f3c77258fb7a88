import type { Logger } from '@etdi/core';
import type { GuardContext, ToolGuard } from '../guard/tool-guard.js';
import { guardedRequest } from './guarded-request.js';
import type { UpstreamRpc } from './upstream-rpc.js';

/** Options of {@link ToolListPrefetch}. */
export interface ToolListPrefetchOptions {
  readonly rpc: UpstreamRpc;
  readonly guard: ToolGuard;
  readonly logger: Logger;
  /** An upstream is listed this way at most once per interval (unknown names cannot make the
   * gateway hammer it). Default 30 s. */
  readonly minIntervalMs?: number;
  /** Pages read at most. Default 100. */
  readonly maxPages?: number;
}

/**
 * Lists an upstream's tools through the guard when a `tools/call` names a tool the guard has no
 * decision for: a 2026-07-28 client may call without listing first, and behind several gateway
 * nodes a call may land on a node that never saw the caller's list. The upstream's whole list
 * (every page) is fetched and verified like any other list (the same guard, audit and pins),
 * once at a time per upstream and at most once per interval; the call is then decided on it.
 */
export class ToolListPrefetch {
  readonly #o: ToolListPrefetchOptions;
  readonly #inflight = new Map<string, Promise<boolean>>();
  readonly #fetchedAt = new Map<string, number>();

  constructor(options: ToolListPrefetchOptions) {
    this.#o = options;
  }

  /**
   * Lists `ctx.upstream` through the guard on behalf of `principal`, unless that was done within
   * the interval. Resolves true when a list was verified (the call should be decided again).
   */
  refresh(ctx: GuardContext, principal: string): Promise<boolean> {
    const upstream = ctx.upstream;
    const running = this.#inflight.get(upstream);
    if (running) return running;
    const last = this.#fetchedAt.get(upstream);
    if (last !== undefined && Date.now() - last < (this.#o.minIntervalMs ?? 30_000)) {
      return Promise.resolve(false);
    }
    this.#fetchedAt.set(upstream, Date.now());
    const pending = this.#list(ctx, principal).finally(() => this.#inflight.delete(upstream));
    this.#inflight.set(upstream, pending);
    return pending;
  }

  async #list(ctx: GuardContext, principal: string): Promise<boolean> {
    const listCtx: GuardContext = { upstream: ctx.upstream, principal: ctx.principal };
    let cursor: string | undefined;
    try {
      for (let page = 0; page < (this.#o.maxPages ?? 100); page++) {
        const answer = await guardedRequest(
          this.#o.rpc,
          this.#o.guard,
          listCtx,
          principal,
          'tools/list',
          cursor === undefined ? undefined : { cursor },
        );
        const next = answer.result?.nextCursor;
        if (!answer.result || typeof next !== 'string' || next === '')
          return answer.result !== undefined;
        cursor = next;
      }
      return true;
    } catch (error) {
      this.#o.logger.warn(
        { upstream: ctx.upstream, error: error instanceof Error ? error.message : String(error) },
        'could not list the upstream to decide a tools/call',
      );
      return false;
    }
  }
}
