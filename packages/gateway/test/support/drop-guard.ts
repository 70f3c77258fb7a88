/**
 * A small real `ToolGuard` for the proxy's seam tests (not the security suite): it drops one
 * named tool from every tools/list result, lets through calls of tools it listed, and records
 * what the proxy handed it.
 */
import type {
  CallDecision,
  GuardContext,
  GuardReadiness,
  ListRewrite,
  ToolGuard,
} from '../../src/guard/tool-guard.js';

export class DropToolGuard implements ToolGuard {
  readonly listed = new Map<string, Set<string>>();
  readonly changed: string[] = [];
  readonly contexts: GuardContext[] = [];
  readonly cursors: (string | undefined)[] = [];
  ready: GuardReadiness = { ok: true };
  closed = false;

  constructor(
    readonly drop: string,
    readonly perms: Readonly<Record<string, readonly string[]>> = {},
  ) {}

  async rewriteToolsList(
    ctx: GuardContext,
    text: string,
    cursor: string | undefined,
  ): Promise<ListRewrite> {
    this.contexts.push(ctx);
    this.cursors.push(cursor);
    let message: { result?: { tools?: { name: string }[] } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return { text, verified: 0, rejected: 0, cached: false };
    }
    const tools = message.result?.tools;
    if (!Array.isArray(tools)) return { text, verified: 0, rejected: 0, cached: false };
    const kept = tools.filter((t) => t.name !== this.drop);
    this.listed.set(ctx.upstream, new Set(kept.map((t) => t.name)));
    return {
      text: JSON.stringify({ ...message, result: { ...message.result, tools: kept } }),
      verified: kept.length,
      rejected: tools.length - kept.length,
      cached: false,
    };
  }

  checkCall(ctx: GuardContext, name: string): CallDecision {
    if (name === this.drop) return { ok: false, reason: 'unsigned', detail: `${name} is unsigned` };
    if (!this.listed.get(ctx.upstream)?.has(name)) {
      return { ok: false, reason: 'unknown-tool', detail: `${name} was never listed` };
    }
    return { ok: true, perms: this.perms[name] ?? [], iss: 'com.test', ver: '1.0.0' };
  }

  listChanged(upstream: string): void {
    this.changed.push(upstream);
  }

  readiness(): GuardReadiness {
    return this.ready;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
