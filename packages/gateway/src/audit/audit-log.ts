import { createHash } from 'node:crypto';
import type { Logger } from '@etdi/core';
import type { GuardContext } from '../guard/tool-guard.js';
import type { ToolRecord } from '../guard/tool-record.js';

/**
 * One audit record: a decision about one tool (at `tools/list`), about one call (at
 * `tools/call`, refusals and report-mode passes), or a list answered from the cache.
 */
// A type alias, not an interface: log fields are an index-signature record.
export type AuditRecord = {
  readonly audit: 'etdi-tool-decision';
  readonly event: 'tools/list' | 'tools/call';
  /** RFC 3339 time of the decision. */
  readonly time: string;
  readonly upstream: string;
  /** A pseudonym of the downstream `Mcp-Session-Id` (see {@link sessionPseudonym}). */
  readonly session: string | undefined;
  readonly principal: string | undefined;
  readonly tool: string | undefined;
  readonly iss: string | undefined;
  readonly ver: string | undefined;
  readonly kid: string | undefined;
  readonly dig: string | undefined;
  /** `verified` / `rejected` at list time; `allowed` / `refused` / `reported` at call time. */
  readonly decision: 'verified' | 'rejected' | 'allowed' | 'refused' | 'reported';
  readonly reason: string | undefined;
  readonly detail?: string | undefined;
  readonly source?: string | undefined;
};

/**
 * A stable pseudonym for a session id: records of one session correlate, while the id itself,
 * a bearer value for the session, never reaches the logs.
 */
export function sessionPseudonym(sessionId: string | undefined): string | undefined {
  if (sessionId === undefined) return undefined;
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 16);
}

/** Writes the guard's audit records as structured log lines (pino's `info(fields, message)`). */
export class AuditLog {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  #context(ctx: GuardContext, time: string) {
    return {
      audit: 'etdi-tool-decision' as const,
      time,
      upstream: ctx.upstream,
      session: sessionPseudonym(ctx.sessionId),
      principal: ctx.principal,
    };
  }

  /** One record per tool decision of a verified `tools/list` page. */
  listDecisions(ctx: GuardContext, records: readonly ToolRecord[]): void {
    if (this.#logger.isLevelEnabled?.('info') === false) return;
    for (const r of records) {
      const record: AuditRecord = {
        ...this.#context(ctx, r.decidedAt),
        event: 'tools/list',
        tool: r.name,
        iss: r.iss,
        ver: r.ver,
        kid: r.kid,
        dig: r.dig,
        decision: r.ok ? 'verified' : 'rejected',
        reason: r.reason,
        detail: r.detail,
        source: r.source,
      };
      this.#logger.info(record, r.ok ? 'tool verified' : `tool rejected: ${r.reason}`);
    }
  }

  /**
   * A page answered from the byte-level cache: its decisions were recorded when they were made;
   * this record ties the listing to the session and principal that received it.
   */
  cachedList(ctx: GuardContext, verified: number, rejected: number, time: string): void {
    this.#logger.info(
      { ...this.#context(ctx, time), event: 'tools/list', cached: true, verified, rejected },
      'tools/list answered from the verified cache',
    );
  }

  /** A `tools/call` decision: refused, or passed in report mode although enforce would refuse. */
  call(
    ctx: GuardContext,
    tool: string,
    record: ToolRecord | undefined,
    decision: 'allowed' | 'refused' | 'reported',
    reason: string | undefined,
    detail: string | undefined,
    time: string,
  ): void {
    // Allowed calls are debug lines: at the call rate, not even built unless someone reads them.
    if (decision === 'allowed' && this.#logger.isLevelEnabled?.('debug') === false) return;
    const line: AuditRecord = {
      ...this.#context(ctx, time),
      event: 'tools/call',
      tool,
      iss: record?.iss,
      ver: record?.ver,
      kid: record?.kid,
      dig: record?.dig,
      decision,
      reason,
      detail,
    };
    if (decision === 'allowed') this.#logger.debug(line, 'tools/call allowed');
    else this.#logger.info(line, `tools/call ${decision}: ${reason}`);
  }
}
