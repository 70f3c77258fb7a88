import {
  checkPin,
  normalizePerms,
  pinKey,
  signatureOf,
  statedClaims,
  toolDigest,
  Verifier,
  type Logger,
  type Pin,
  type PinId,
  type PinStore,
  type ReasonCode,
  type SignedCopy,
  type VerifyResult,
} from '@etdi/core';
import semver from 'semver';
import type { ApprovalRequestView, ApprovalTarget, GuardAdmin } from '../admin/guard-admin.js';
import { AuditLog } from '../audit/audit-log.js';
import { parseJsonDocument } from '../trust/json-document.js';
import type { TrustSnapshot, TrustSources } from '../trust/trust-sources.js';
import { GatewayError } from '../errors.js';
import type { GuardMetrics } from './guard-metrics.js';
import { ListCache, type CachedPage, type PinDependency } from './list-cache.js';
import { errorResponse, flagged, isRecord, serializeAroundId } from './list-message.js';
import { locateResponseId, type IdSpan } from './response-id.js';
import type {
  CallDecision,
  CallRefusal,
  GuardContext,
  GuardReadiness,
  ListRewrite,
  ToolGuard,
} from './tool-guard.js';
import { pinFingerprint, type ToolRecord, type ToolSource } from './tool-record.js';

/** What the guard enforces for one upstream. */
export interface UpstreamPolicy {
  readonly mode: 'enforce' | 'report';
  /** Providers (`iss`) allowed to sign the upstream's tools, in order of preference. */
  readonly providers: readonly string[];
}

/** Look-ups of a registry trust source, made while a list is verified. */
export interface AttestationLookups {
  /** Signed tools whose content digests to `dig`. Throws when the registry cannot be asked. */
  copies(dig: string): Promise<readonly SignedCopy[]>;
  /** Whether the registry holds any version of `(iss, name)`. Throws when it cannot be asked. */
  hasVersions(iss: string, name: string): Promise<boolean>;
  /** Whether the registry countersigned exactly this definition. Throws when it cannot be asked. */
  receipt(
    iss: string,
    name: string,
    ver: string,
    dig: string,
  ): Promise<'ok' | 'missing' | 'other-digest'>;
  /** How long an answer that something does not exist may be relied on, in seconds. */
  readonly negativeTtlSec: number;
  /** Where the copies come from, for records and messages. */
  readonly origin: string;
}

export interface VerifyingGuardOptions {
  readonly upstreams: ReadonlyMap<string, UpstreamPolicy>;
  readonly sources: TrustSources;
  readonly registry: AttestationLookups | undefined;
  readonly requireReceipt: boolean;
  readonly pins: PinStore;
  readonly firstUse: 'approve' | 'hold';
  readonly maxAgeSec: number | undefined;
  readonly clockToleranceSec: number;
  readonly logger: Logger;
  readonly metrics: GuardMetrics;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Releases what the factory opened (stores, connections). */
  readonly onClose: () => Promise<void>;
}

interface Upstream extends UpstreamPolicy {
  readonly name: string;
  readonly allowed: ReadonlySet<string>;
  /** Last decision per tool name: what `tools/call` and the admin API answer from. */
  readonly records: Map<string, ToolRecord>;
}

interface Candidate {
  readonly tool: unknown;
  readonly source: ToolSource;
  readonly origin: string;
  readonly claims: Record<string, unknown> | undefined;
}

interface Refusal {
  readonly candidate: Candidate;
  readonly reason: ReasonCode;
  readonly detail: string;
}

/** One tool of a page on its way through verification. */
interface Slot {
  readonly tool: unknown;
  readonly name: string | undefined;
  /** Digest of the upstream's content, for unsigned tools. */
  dig?: string | undefined;
  candidates: Candidate[];
  readonly refused: Refusal[];
  result?: VerifyResult;
  chosen?: Candidate | undefined;
}

/** What one verification of a page found beyond its decisions. */
interface PageRun {
  cacheable: boolean;
  /** Epoch second from which a time-bound decision may change. */
  changesAt: number;
  /** `(iss, sub)` of every decision the pin checks took part in. */
  readonly pinIds: Map<string, PinId>;
}

/** Checks that come before `key-provider-mismatch` in DESIGN.md's order. */
const BEFORE_PROVIDER_CHECK: ReadonlySet<string> = new Set([
  'malformed',
  'schema-invalid',
  'unsigned',
  'alg-not-allowed',
  'unknown-key',
]);
const PIN_REASONS: ReadonlySet<string> = new Set(['rug-pull', 'rollback', 'reapproval-required']);
/** Tool decisions kept per upstream; the least recently listed are forgotten (unknown-tool). */
const MAX_RECORDS = 10_000;
/** Listings whose pagination state is kept; the least recently used are forgotten. */
const MAX_LISTINGS = 10_000;
const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * Where a listing continues: the cursor the upstream handed out, for one upstream, downstream
 * session and principal. Callers never share pagination state, and a cursor nobody was handed
 * (forged, replayed, from another node) continues no listing.
 */
function listingKey(ctx: GuardContext, cursor: string): string {
  return [ctx.upstream, ctx.sessionId ?? '', ctx.principal ?? '', ctx.listing ?? '', cursor].join(
    '\u0000',
  );
}

function rejected(
  reason: ReasonCode,
  detail: string,
  claims?: Record<string, unknown>,
): VerifyResult {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    ok: false,
    reason,
    detail,
    ...(str(claims?.iss) === undefined ? {} : { iss: str(claims?.iss) }),
    ...(str(claims?.ver) === undefined ? {} : { ver: str(claims?.ver) }),
    tool: undefined,
  };
}

function nameOf(tool: unknown): string | undefined {
  return isRecord(tool) && typeof tool.name === 'string' ? tool.name : undefined;
}

function numberClaim(claims: Record<string, unknown> | undefined, m: string): number | undefined {
  const v = claims?.[m];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function statedPerms(claims: Record<string, unknown> | undefined): string[] | undefined {
  try {
    return Array.isArray(claims?.perms) ? normalizePerms(claims.perms) : undefined;
  } catch {
    return undefined;
  }
}

/** Content digest of a tool for records, or `undefined` when it has none (malformed). */
function digestOf(tool: unknown): string | undefined {
  try {
    return toolDigest(tool);
  } catch {
    return undefined;
  }
}

/**
 * The verifying tool guard (see {@link ToolGuard}): verification with core's `Verifier` in band
 * or attested (DESIGN.md), enforce/report rewriting, pins, the byte-level list cache, call-time
 * checks, audit records and the admin surface.
 */
export class VerifyingGuard implements ToolGuard, GuardAdmin {
  readonly #o: VerifyingGuardOptions;
  readonly #upstreams = new Map<string, Upstream>();
  readonly #cache = new ListCache();
  readonly #audit: AuditLog;
  readonly #listings = new Map<string, ReadonlySet<string>>();
  #verifiers: { generation: number; pinned: Verifier; plain: Verifier } | undefined;
  #closed = false;

  constructor(options: VerifyingGuardOptions) {
    this.#o = options;
    this.#audit = new AuditLog(options.logger);
    for (const [name, policy] of options.upstreams) {
      this.#upstreams.set(name, {
        ...policy,
        name,
        allowed: new Set(policy.providers),
        records: new Map(),
      });
    }
    // New trust makes every cached page stale by generation; dropping them frees the memory now.
    options.sources.onChange(() => this.#cache.clear());
  }

  // ---------------------------------------------------------------- ToolGuard

  async rewriteToolsList(
    ctx: GuardContext,
    messageText: string,
    cursor: string | undefined,
  ): Promise<ListRewrite> {
    const up = this.#upstream(ctx.upstream);
    const nowMs = this.#o.now();
    const listing = this.#listingBefore(ctx, cursor);
    const problem = this.#problem(nowMs);
    const span = locateResponseId(messageText);
    if (problem === undefined && span !== undefined) {
      try {
        const hit = await this.#fromCache(ctx, up, messageText, span, listing, nowMs);
        if (hit) return hit;
      } catch (e) {
        return this.#failure(messageText, span, e);
      }
    } else {
      this.#o.metrics.count(this.#o.metrics.listCache, { upstream: up.name, result: 'bypass' });
    }
    try {
      return await this.#verifyMessage(ctx, up, messageText, span, listing, nowMs, problem);
    } catch (e) {
      return this.#failure(messageText, span, e);
    }
  }

  checkCall(ctx: GuardContext, name: string): CallDecision {
    const up = this.#upstreams.get(ctx.upstream);
    const time = new Date(this.#o.now()).toISOString();
    const record = up?.records.get(name);
    const refusal: { reason: CallRefusal; detail: string } | undefined = up
      ? this.#callRefusal(up, name, record)
      : { reason: 'unknown-tool', detail: `no upstream is named ${JSON.stringify(ctx.upstream)}` };
    if (!refusal) {
      this.#o.metrics.count(this.#o.metrics.calls, {
        upstream: ctx.upstream,
        decision: 'allowed',
        reason: 'verified',
      });
      this.#audit.call(ctx, name, record, 'allowed', undefined, undefined, time);
      return { ok: true, perms: record!.perms ?? [], iss: record!.iss, ver: record!.ver };
    }
    const report = up?.mode === 'report';
    const decision = report ? 'reported' : 'refused';
    this.#o.metrics.count(this.#o.metrics.calls, {
      upstream: ctx.upstream,
      decision,
      reason: refusal.reason,
    });
    this.#audit.call(ctx, name, record, decision, refusal.reason, refusal.detail, time);
    if (!report) return { ok: false, ...refusal };
    const verified = record?.ok === true;
    return {
      ok: true,
      perms: verified ? (record.perms ?? []) : [],
      iss: verified ? record.iss : undefined,
      ver: verified ? record.ver : undefined,
      reported: refusal,
    };
  }

  refreshTrust(): Promise<boolean> {
    return this.#o.sources.refresh();
  }

  listChanged(upstream: string): void {
    this.#cache.clear(upstream);
  }

  readiness(): GuardReadiness {
    const problem = this.#problem(this.#o.now());
    return problem === undefined ? { ok: true } : { ok: false, detail: problem };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
    await this.#o.sources.close();
    await this.#o.onClose();
  }

  // ---------------------------------------------------------------- GuardAdmin

  tools(): readonly ToolRecord[] {
    return [...this.#upstreams.values()].flatMap((up) => [...up.records.values()]);
  }

  approvals(): readonly ApprovalRequestView[] {
    const waiting: ApprovalRequestView[] = [];
    for (const r of this.tools()) {
      if (!r.approval || r.name === undefined || !r.iss || !r.ver || !r.dig) continue;
      waiting.push({
        upstream: r.upstream,
        iss: r.iss,
        name: r.name,
        ver: r.ver,
        dig: r.dig,
        perms: r.perms ?? [],
        kind: r.approval.kind,
        addedScopes: r.approval.addedScopes,
        approvedVer: r.approval.pin?.ver,
        since: r.decidedAt,
      });
    }
    return waiting;
  }

  async approve(target: ApprovalTarget): Promise<Pin> {
    const up = this.#upstreams.get(target.upstream);
    const record = up?.records.get(target.name);
    if (
      !up ||
      !record?.approval ||
      record.iss !== target.iss ||
      record.ver !== target.ver ||
      !record.dig
    ) {
      throw new GatewayError(
        'not-found',
        `No definition ${target.iss}/${target.name}@${target.ver} of upstream ${JSON.stringify(target.upstream)} is waiting for approval; GET /admin/approvals lists those that are`,
      );
    }
    const pin: Pin = {
      iss: target.iss,
      sub: target.name,
      ver: target.ver,
      dig: record.dig,
      perms: [...(record.perms ?? [])],
      approvedAt: new Date(this.#o.now()).toISOString(),
      ...(record.kid === undefined ? {} : { kid: record.kid }),
    };
    const before = record.approval.pin;
    const inForce = before
      ? await this.#o.pins.replaceIf(before, pin)
      : await this.#o.pins.setIfAbsent(pin);
    if (!inForce || inForce.ver !== pin.ver || inForce.dig !== pin.dig) {
      throw new GatewayError(
        'conflict',
        `The approval of ${target.iss}/${target.name} changed meanwhile (now ${inForce ? `${inForce.ver}` : 'none'}); list the tools again and retry`,
      );
    }
    up.records.set(target.name, {
      ...record,
      approval: undefined,
      detail: `approved at ${pin.approvedAt}; verified again at the next tools/list`,
    });
    this.#cache.clear(up.name);
    this.#o.logger.info(
      {
        audit: 'etdi-approval',
        upstream: up.name,
        tool: pin.sub,
        iss: pin.iss,
        ver: pin.ver,
        dig: pin.dig,
        perms: pin.perms,
      },
      'tool definition approved',
    );
    return inForce;
  }

  // ---------------------------------------------------------------- internals

  #upstream(name: string): Upstream {
    const up = this.#upstreams.get(name);
    if (!up) {
      throw new GatewayError(
        'not-found',
        `No upstream is named ${JSON.stringify(name)} in the guard's configuration`,
      );
    }
    return up;
  }

  /** Keeps the latest decisions, most recent last; an upstream cannot grow them without bound. */
  #remember(up: Upstream, records: readonly ToolRecord[]): void {
    for (const r of records) {
      if (r.name === undefined) continue;
      up.records.delete(r.name);
      up.records.set(r.name, r);
    }
    while (up.records.size > MAX_RECORDS) {
      up.records.delete(up.records.keys().next().value as string);
    }
  }

  #problem(nowMs: number): string | undefined {
    const problem = this.#o.sources.problem(nowMs);
    this.#o.metrics.trustReady.set(problem === undefined ? 1 : 0);
    return problem;
  }

  /**
   * Names listed on earlier pages of the listing `cursor` continues: none for a first page, and
   * none for a cursor this guard never saw handed to this caller (it continues no listing).
   */
  #listingBefore(ctx: GuardContext, cursor: string | undefined): ReadonlySet<string> {
    if (cursor === undefined) return NO_NAMES;
    return this.#listings.get(listingKey(ctx, cursor)) ?? NO_NAMES;
  }

  /** Remembers what the page that handed out `nextCursor` completes, for the page after it. */
  #continueListing(
    ctx: GuardContext,
    before: ReadonlySet<string>,
    names: readonly string[],
    nextCursor: unknown,
  ): void {
    if (typeof nextCursor !== 'string' || nextCursor === '') return;
    const key = listingKey(ctx, nextCursor);
    this.#listings.delete(key);
    // A new set per page: two callers continuing the same chain never see each other's pages.
    this.#listings.set(key, new Set([...before, ...names]));
    if (this.#listings.size > MAX_LISTINGS) {
      this.#listings.delete(this.#listings.keys().next().value as string);
    }
  }

  #verifiersOf(snapshot: TrustSnapshot): { pinned: Verifier; plain: Verifier } {
    const trust = {
      trust: snapshot.trust,
      revocations: snapshot.revocations,
    };
    if (!this.#verifiers) {
      const common = {
        ...trust,
        now: this.#o.now,
        clockToleranceSec: this.#o.clockToleranceSec,
        ...(this.#o.maxAgeSec === undefined ? {} : { maxAgeSec: this.#o.maxAgeSec }),
      };
      this.#verifiers = {
        generation: snapshot.generation,
        pinned: new Verifier({
          ...common,
          pins: this.#o.pins,
          approveFirstUse: this.#o.firstUse === 'approve',
        }),
        // For tools refused before the pin checks: finds the reason that comes first in order
        // without ever recording a pin.
        plain: new Verifier(common),
      };
    } else if (snapshot.generation > this.#verifiers.generation) {
      // New trust on the live verifiers: their caches (schema validity by digest, signatures by
      // JWS) survive, every tool still meets the new keys, revocations and times.
      this.#verifiers.pinned.update(trust);
      this.#verifiers.plain.update(trust);
      this.#verifiers.generation = snapshot.generation;
    }
    return this.#verifiers;
  }

  #failure(text: string, span: IdSpan | undefined, error: unknown): ListRewrite {
    // The cause goes to the log only: it can name internals (stores, addresses) clients need not see.
    this.#o.logger.error(
      { error: error instanceof Error ? error.message : String(error) },
      'tools/list could not be verified; answering with a JSON-RPC error',
    );
    const id = span ? text.slice(span.start, span.end) : 'null';
    return {
      text: errorResponse(
        id,
        "The gateway could not verify the upstream's tools; the gateway's log says why",
      ),
      verified: 0,
      rejected: 0,
      cached: false,
    };
  }

  async #fromCache(
    ctx: GuardContext,
    up: Upstream,
    text: string,
    span: IdSpan,
    listing: ReadonlySet<string>,
    nowMs: number,
  ): Promise<ListRewrite | undefined> {
    const page = this.#cache.find(up.name, text, span);
    const count = (result: string) =>
      this.#o.metrics.count(this.#o.metrics.listCache, { upstream: up.name, result });
    if (!page) {
      count('miss');
      return undefined;
    }
    if (
      page.generation !== this.#o.sources.snapshot.generation ||
      Math.floor(nowMs / 1000) >= page.changesAt ||
      page.names.some((n) => listing.has(n))
    ) {
      this.#cache.delete(up.name, page);
      count('expired');
      return undefined;
    }
    if (page.pins.length > 0) {
      const pins = await this.#o.pins.getMany(page.pins);
      for (const p of page.pins) {
        if (pinFingerprint(pins.get(p.key)) !== p.fingerprint) {
          this.#cache.delete(up.name, page);
          count('expired');
          return undefined;
        }
      }
    }
    count('hit');
    this.#remember(up, page.records);
    this.#continueListing(ctx, listing, page.names, page.nextCursor);
    this.#countDecisions(up.name, page.records);
    this.#audit.cachedList(ctx, page.verified, page.rejected, new Date(nowMs).toISOString());
    return {
      text: page.outHead + text.slice(span.start, span.end) + page.outTail,
      verified: page.verified,
      rejected: page.rejected,
      cached: true,
    };
  }

  #countDecisions(upstream: string, records: readonly ToolRecord[]): void {
    const counts = new Map<string, number>();
    for (const r of records) {
      const reason = r.reason ?? 'verified';
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    for (const [reason, n] of counts) {
      const decision = reason === 'verified' ? 'verified' : 'rejected';
      this.#o.metrics.count(this.#o.metrics.decisions, { upstream, decision, reason }, n);
    }
  }

  async #verifyMessage(
    ctx: GuardContext,
    up: Upstream,
    text: string,
    span: IdSpan | undefined,
    listing: ReadonlySet<string>,
    nowMs: number,
    problem: string | undefined,
  ): Promise<ListRewrite> {
    const unchanged = { text, verified: 0, rejected: 0, cached: false };
    const doc = parseJsonDocument(text, "the upstream's tools/list response");
    if (!doc.ok) {
      return {
        ...unchanged,
        text: errorResponse(
          span ? text.slice(span.start, span.end) : 'null',
          doc.error,
          'malformed',
        ),
      };
    }
    const message = doc.value;
    // Errors, notifications and requests are not tools/list results: nothing to verify.
    if (!isRecord(message) || !Object.hasOwn(message, 'result')) return unchanged;
    const idText = span ? text.slice(span.start, span.end) : JSON.stringify(message.id ?? null);
    const result = message.result;
    if (!isRecord(result) || !Array.isArray(result.tools)) {
      return {
        ...unchanged,
        text: errorResponse(
          idText,
          'The upstream answered tools/list without a "tools" array',
          'malformed',
        ),
      };
    }
    const repeated = result.tools.flatMap((t) => {
      const n = nameOf(t);
      return n !== undefined && listing.has(n) ? [n] : [];
    });
    if (repeated.length > 0) {
      // A page-continuity failure says nothing about the tools themselves: this answer fails,
      // no decision is remembered, and every other listing and call goes on as before.
      this.#o.logger.warn(
        { upstream: up.name, tools: repeated.slice(0, 10) },
        'tools/list page repeats tools of an earlier page; answering it with a JSON-RPC error',
      );
      return {
        ...unchanged,
        text: errorResponse(
          idText,
          `The upstream's tools/list page repeats ${repeated.length} tool(s) listed on an earlier page (${JSON.stringify(repeated[0])}${repeated.length > 1 ? ', ...' : ''}); list again from the first page`,
          'malformed',
        ),
      };
    }
    const snapshot = this.#o.sources.snapshot;
    const decidedAt = new Date(nowMs).toISOString();
    const run: PageRun = {
      cacheable: problem === undefined,
      changesAt: Infinity,
      pinIds: new Map(),
    };
    const slots =
      problem === undefined
        ? await this.#verifyPage(up, result.tools, snapshot, run, nowMs)
        : result.tools.map((tool): Slot => ({
            tool,
            name: nameOf(tool),
            candidates: [],
            refused: [],
            result: rejected('stale', `trust is not fresh: ${problem}`),
          }));
    const pins =
      run.pinIds.size > 0
        ? await this.#o.pins.getMany([...run.pinIds.values()])
        : new Map<string, Pin>();
    const records = slots.map((s) => this.#recordOf(up, s, pins, decidedAt));
    const tools: unknown[] = [];
    for (const s of slots) {
      const r = s.result!;
      if (r.ok) tools.push(r.tool);
      else if (up.mode === 'report' && isRecord(s.tool)) tools.push(flagged(s.tool, r.reason));
      // Enforce drops it; an entry that is not even an object cannot carry a flag: dropped too.
    }
    this.#remember(up, records);
    const names = slots.flatMap((s) => (s.name === undefined ? [] : [s.name]));
    this.#continueListing(ctx, listing, names, result.nextCursor);
    this.#audit.listDecisions(ctx, records);
    this.#countDecisions(up.name, records);
    const verified = records.filter((r) => r.ok).length;
    const rewritten = { ...message, result: { ...result, tools } };
    const around = serializeAroundId(rewritten);
    const idOk = span !== undefined && around !== undefined && sameId(text, span, message.id);
    if (!idOk || !around) {
      return {
        text: JSON.stringify(rewritten),
        verified,
        rejected: records.length - verified,
        cached: false,
      };
    }
    const dependencies = this.#pinDependencies(slots, pins, run);
    if (run.cacheable && dependencies) {
      const page: CachedPage = {
        keyHead: text.slice(0, span.start),
        keyTail: text.slice(span.end),
        outHead: around.head,
        outTail: around.tail,
        generation: snapshot.generation,
        changesAt: this.#changesAt(slots, snapshot, run),
        pins: dependencies,
        names,
        nextCursor:
          typeof result.nextCursor === 'string' && result.nextCursor !== ''
            ? result.nextCursor
            : undefined,
        records,
        verified,
        rejected: records.length - verified,
      };
      this.#cache.add(up.name, page);
    }
    return {
      text: around.head + text.slice(span.start, span.end) + around.tail,
      verified,
      rejected: records.length - verified,
      cached: false,
    };
  }

  async #verifyPage(
    up: Upstream,
    tools: readonly unknown[],
    snapshot: TrustSnapshot,
    run: PageRun,
    nowMs: number,
  ): Promise<Slot[]> {
    const { pinned, plain } = this.#verifiersOf(snapshot);
    const counts = new Map<string, number>();
    for (const t of tools) {
      const n = nameOf(t);
      if (n !== undefined) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    const slots = tools.map((tool): Slot => ({
      tool,
      name: nameOf(tool),
      candidates: [],
      refused: [],
    }));
    for (const s of slots) this.#classify(up, s, counts, snapshot);
    await this.#attestFromRegistry(up, slots, run, nowMs);
    this.#rank(up, slots);
    await this.#precheck(up, slots, run, nowMs);
    await this.#verifyCandidates(slots, pinned, run);
    await this.#diagnose(slots, plain);
    await this.#decideUnsigned(up, slots, plain, snapshot, run, nowMs);
    return slots;
  }

  /** Duplicates, and where the signed definition of each tool is to come from. */
  #classify(
    up: Upstream,
    s: Slot,
    counts: ReadonlyMap<string, number>,
    snapshot: TrustSnapshot,
  ): void {
    const n = s.name;
    if (n !== undefined && (counts.get(n) ?? 0) > 1) {
      s.result = rejected(
        'malformed',
        `the list has ${counts.get(n)} tools named ${JSON.stringify(n)}`,
      );
      return;
    }
    if (signatureOf(s.tool) !== undefined) {
      s.candidates.push({
        tool: s.tool,
        source: 'in-band',
        origin: 'the upstream',
        claims: statedClaims(s.tool),
      });
      return;
    }
    s.dig = digestOf(s.tool);
    if (s.dig === undefined || n === undefined) return;
    for (const copy of snapshot.copies.byDigest(s.dig)) this.#addCopy(up, s, copy, 'signed-tools');
  }

  #addCopy(up: Upstream, s: Slot, copy: SignedCopy, source: ToolSource): void {
    if (!up.allowed.has(copy.iss) || copy.sub !== s.name) return;
    const jws = signatureOf(copy.tool);
    if (s.candidates.some((c) => signatureOf(c.tool) === jws)) return;
    s.candidates.push({
      tool: copy.tool,
      source,
      origin: copy.source,
      claims: statedClaims(copy.tool),
    });
  }

  async #attestFromRegistry(
    up: Upstream,
    slots: Slot[],
    run: PageRun,
    nowMs: number,
  ): Promise<void> {
    const registry = this.#o.registry;
    if (!registry) return;
    const unsigned = slots.filter(
      (s) =>
        s.result === undefined &&
        s.dig !== undefined &&
        s.name !== undefined &&
        // A local signed copy (or an in-band signature) spares the registry the question.
        s.candidates.length === 0,
    );
    await Promise.all(
      unsigned.map(async (s) => {
        try {
          const copies = await registry.copies(s.dig!);
          for (const copy of copies) this.#addCopy(up, s, copy, 'registry');
          // "No usable copy" can change when one is published: rely on it for a while only.
          if (s.candidates.length === 0) this.#changesBy(run, nowMs, registry.negativeTtlSec);
        } catch (e) {
          s.result = rejected(
            'stale',
            `the registry could not be asked for signed copies: ${(e as Error).message}`,
          );
          run.cacheable = false;
        }
      }),
    );
  }

  /** Attested copies in order of preference: the upstream's first provider, then the newest. */
  #rank(up: Upstream, slots: readonly Slot[]): void {
    const rank = (c: Candidate) => up.providers.indexOf(String(c.claims?.iss));
    for (const s of slots) {
      if (s.candidates.length < 2) continue;
      s.candidates.sort((a, b) => {
        const byProvider = rank(a) - rank(b);
        if (byProvider !== 0) return byProvider;
        const va = String(a.claims?.ver);
        const vb = String(b.claims?.ver);
        return semver.valid(va) && semver.valid(vb) ? semver.rcompare(va, vb) : 0;
      });
    }
  }

  #changesBy(run: PageRun, nowMs: number, ttlSec: number): void {
    run.changesAt = Math.min(run.changesAt, Math.floor(nowMs / 1000) + ttlSec);
  }

  /** Checks made before the verifier may record a pin: provider allowed, registry receipt. */
  async #precheck(up: Upstream, slots: Slot[], run: PageRun, nowMs: number): Promise<void> {
    for (const s of slots) {
      if (s.result) continue;
      s.candidates = s.candidates.filter((c) => {
        const iss = c.claims?.iss;
        if (typeof iss !== 'string' || up.allowed.has(iss)) return true;
        s.refused.push({
          candidate: c,
          reason: 'key-provider-mismatch',
          detail: `provider ${JSON.stringify(iss)} may not sign the tools of upstream ${JSON.stringify(up.name)} (providers: ${up.providers.join(', ') || 'none'})`,
        });
        return false;
      });
    }
    const registry = this.#o.registry;
    if (!this.#o.requireReceipt || !registry) return;
    await Promise.all(
      slots.map(async (s) => {
        if (s.result) return;
        const kept: Candidate[] = [];
        for (const c of s.candidates) {
          const { iss, sub, ver, dig } = c.claims ?? {};
          if (
            typeof iss !== 'string' ||
            typeof sub !== 'string' ||
            typeof ver !== 'string' ||
            typeof dig !== 'string'
          ) {
            kept.push(c); // malformed claims: the verifier names the problem
            continue;
          }
          const where = `${iss}/${sub}@${ver}`;
          try {
            const receipt = await registry.receipt(iss, sub, ver, dig);
            if (receipt === 'ok') kept.push(c);
            else if (receipt === 'other-digest') {
              s.refused.push({
                candidate: c,
                reason: 'rug-pull',
                detail: `the registry holds ${where} with another digest`,
              });
            } else {
              s.refused.push({
                candidate: c,
                reason: 'unsigned',
                detail: `requireReceipt: the registry has not countersigned ${where}`,
              });
              this.#changesBy(run, nowMs, registry.negativeTtlSec);
            }
          } catch (e) {
            s.refused.push({
              candidate: c,
              reason: 'stale',
              detail: `the registry could not be asked for the receipt of ${where}: ${(e as Error).message}`,
            });
            run.cacheable = false;
          }
        }
        s.candidates = kept;
      }),
    );
  }

  /** Full verification (pins included) of each tool's candidates, best first. */
  async #verifyCandidates(slots: Slot[], pinned: Verifier, run: PageRun): Promise<void> {
    const note = (r: VerifyResult, name: string | undefined) => {
      if (r.ok) run.pinIds.set(pinKey(r.iss, r.sub), { iss: r.iss, sub: r.sub });
      else if (PIN_REASONS.has(r.reason) && r.iss !== undefined && name !== undefined) {
        run.pinIds.set(pinKey(r.iss, name), { iss: r.iss, sub: name });
      }
    };
    const first = slots.filter((s) => !s.result && s.candidates.length > 0);
    if (first.length === 0) return;
    const { results } = await pinned.verifyAll(first.map((s) => s.candidates[0]!.tool));
    for (const [i, s] of first.entries()) {
      s.result = results[i]!;
      s.chosen = s.candidates[0];
      note(s.result, s.name);
    }
    for (const s of first) {
      for (const c of s.candidates.slice(1)) {
        if (s.result!.ok) break;
        // Which copy wins now depends on several pins: verified each time, never cached.
        run.cacheable = false;
        const r = await pinned.verify(c.tool);
        note(r, s.name);
        if (r.ok) {
          s.result = r;
          s.chosen = c;
        }
      }
    }
  }

  /** The reason of a tool whose every candidate failed a pre-check, in DESIGN.md's order. */
  async #diagnose(slots: Slot[], plain: Verifier): Promise<void> {
    for (const s of slots) {
      const first = s.refused[0];
      if (s.result || !first) continue;
      const r = await plain.verify(first.candidate.tool);
      const earlier =
        !r.ok && (first.reason !== 'key-provider-mismatch' || BEFORE_PROVIDER_CHECK.has(r.reason));
      s.result = earlier ? r : rejected(first.reason, first.detail, first.candidate.claims);
      s.chosen = first.candidate;
    }
  }

  /** Unsigned tools without a matching copy: `digest-mismatch` if the provider signed others. */
  async #decideUnsigned(
    up: Upstream,
    slots: Slot[],
    plain: Verifier,
    snapshot: TrustSnapshot,
    run: PageRun,
    nowMs: number,
  ): Promise<void> {
    const registry = this.#o.registry;
    await Promise.all(
      slots.map(async (s) => {
        if (s.result) return;
        const r = await plain.verify(s.tool);
        if (r.ok || r.reason !== 'unsigned' || s.name === undefined) {
          s.result = r;
          return;
        }
        const name = s.name;
        const mismatch = (iss: string, where: string) =>
          rejected(
            'digest-mismatch',
            `the upstream serves ${JSON.stringify(name)} with digest ${s.dig}, but the signed versions of ${iss}/${name} in ${where} have other digests: the server serves something other than what was signed`,
            { iss },
          );
        const local = up.providers.find((iss) => snapshot.copies.hasVersions(iss, name));
        if (local !== undefined) {
          s.result = mismatch(local, 'trust.signedTools');
          return;
        }
        if (registry) {
          try {
            const known = await Promise.all(
              up.providers.map((iss) => registry.hasVersions(iss, name)),
            );
            const i = known.indexOf(true);
            if (i >= 0) {
              s.result = mismatch(up.providers[i]!, registry.origin);
              return;
            }
            this.#changesBy(run, nowMs, registry.negativeTtlSec);
          } catch (e) {
            s.result = rejected(
              'stale',
              `the registry could not be asked for versions of ${JSON.stringify(name)}: ${(e as Error).message}`,
            );
            run.cacheable = false;
            return;
          }
        }
        s.result = rejected(
          'unsigned',
          `${JSON.stringify(name)} carries no signature and no trust source holds a signed copy of this content from ${up.providers.join(', ') || 'any allowed provider'}`,
        );
      }),
    );
  }

  #recordOf(up: Upstream, s: Slot, pins: ReadonlyMap<string, Pin>, decidedAt: string): ToolRecord {
    const r = s.result!;
    const source = s.chosen?.source ?? s.candidates[0]?.source ?? 'none';
    if (r.ok) {
      return {
        upstream: up.name,
        name: s.name,
        ok: true,
        reason: undefined,
        detail: source === 'in-band' ? 'signature verified' : `attested by ${s.chosen?.origin}`,
        source,
        iss: r.iss,
        ver: r.ver,
        kid: r.kid,
        dig: r.dig,
        perms: r.perms,
        iat: r.claims.iat,
        exp: r.claims.exp,
        decidedAt,
      };
    }
    const claims = s.chosen?.claims;
    const perms = statedPerms(claims);
    const iss = r.iss ?? (typeof claims?.iss === 'string' ? claims.iss : undefined);
    const ver = r.ver ?? (typeof claims?.ver === 'string' ? claims.ver : undefined);
    const dig = s.dig ?? digestOf(s.chosen?.tool ?? s.tool);
    let approval: ToolRecord['approval'];
    if (r.reason === 'reapproval-required' && iss && ver && dig && perms && s.name !== undefined) {
      const pin = pins.get(pinKey(iss, s.name));
      const approved = new Set(pin?.perms ?? []);
      approval = {
        kind: pin ? 'added-scopes' : 'first-use',
        addedScopes: perms.filter((p) => !approved.has(p)),
        pin,
      };
    }
    return {
      upstream: up.name,
      name: s.name,
      ok: false,
      reason: r.reason,
      detail: r.detail,
      source: s.chosen || s.candidates.length > 0 ? source : 'none',
      iss,
      ver,
      kid: r.kid,
      dig,
      perms,
      decidedAt,
      approval,
    };
  }

  /**
   * The pins the page's decisions depended on, as they are now, if running the page again with
   * them would decide the same; `undefined` (do not cache) otherwise, e.g. when another node
   * changed a pin between the verification and this read.
   */
  #pinDependencies(
    slots: readonly Slot[],
    pins: ReadonlyMap<string, Pin>,
    run: PageRun,
  ): PinDependency[] | undefined {
    for (const s of slots) {
      const r = s.result!;
      const sub = r.ok ? r.sub : s.name;
      if (!r.ok && !PIN_REASONS.has(r.reason)) continue;
      if (r.iss === undefined || sub === undefined) continue;
      const pin = pins.get(pinKey(r.iss, sub));
      if (r.ok) {
        const again = pin && checkPin(pin, { ver: r.ver, dig: r.dig, perms: r.perms });
        if (!again?.ok || again.action !== 'unchanged') return undefined;
        continue;
      }
      const claims = s.chosen?.claims;
      const perms = statedPerms(claims);
      const subject = { ver: String(claims?.ver), dig: String(claims?.dig), perms: perms ?? [] };
      const again = pin ? checkPin(pin, subject) : undefined;
      const same =
        (again && !again.ok && again.reason === r.reason) ||
        (!pin && r.reason === 'reapproval-required' && this.#o.firstUse === 'hold');
      if (!same) return undefined;
    }
    return [...run.pinIds].map(([key, id]) => ({
      ...id,
      key,
      fingerprint: pinFingerprint(pins.get(key)),
    }));
  }

  /** The first epoch second at which a time-bound decision of the page could differ. */
  #changesAt(slots: readonly Slot[], snapshot: TrustSnapshot, run: PageRun): number {
    const tol = this.#o.clockToleranceSec;
    let at = run.changesAt;
    const bound = (t: number | undefined) => {
      if (t !== undefined) at = Math.min(at, t);
    };
    for (const s of slots) {
      const r = s.result!;
      if (r.ok) {
        if (r.claims.exp !== undefined) bound(r.claims.exp + tol);
        if (this.#o.maxAgeSec !== undefined) bound(r.claims.iat + this.#o.maxAgeSec + tol + 1);
      } else if (r.reason === 'not-yet-valid') {
        // Valid once both nbf and iat are within the tolerance: the later of the two.
        const nbf = numberClaim(s.chosen?.claims, 'nbf') ?? -Infinity;
        const iat = numberClaim(s.chosen?.claims, 'iat') ?? -Infinity;
        bound(Math.max(nbf, iat) - tol);
      }
    }
    if (snapshot.revocations) bound(snapshot.revocations.expiresAt + tol);
    return at;
  }

  #callRefusal(
    up: Upstream,
    name: string,
    record: ToolRecord | undefined,
  ): { reason: CallRefusal; detail: string } | undefined {
    if (!record) {
      return {
        reason: 'unknown-tool',
        detail: `upstream ${JSON.stringify(up.name)} has not listed a tool named ${JSON.stringify(name)} through this gateway; list the tools first`,
      };
    }
    if (!record.ok) return { reason: record.reason!, detail: record.detail };
    const nowMs = this.#o.now();
    const problem = this.#problem(nowMs);
    if (problem !== undefined) return { reason: 'stale', detail: `trust is not fresh: ${problem}` };
    const now = Math.floor(nowMs / 1000);
    const tol = this.#o.clockToleranceSec;
    if (record.exp !== undefined && record.exp <= now - tol) {
      return {
        reason: 'expired',
        detail: `the signature expired at ${new Date(record.exp * 1000).toISOString()}`,
      };
    }
    const maxAge = this.#o.maxAgeSec;
    if (maxAge !== undefined && record.iat !== undefined && now - record.iat > maxAge + tol) {
      return { reason: 'stale', detail: `the signature was issued more than ${maxAge} s ago` };
    }
    const { trust, revocations } = this.#o.sources.snapshot;
    const key = record.kid === undefined ? undefined : trust.get(record.kid);
    if (!key) return { reason: 'unknown-key', detail: `key ${record.kid} is no longer trusted` };
    if (
      key.status === 'revoked' ||
      (key.notAfter !== undefined && record.iat !== undefined && record.iat > key.notAfter) ||
      (key.notBefore !== undefined && record.iat !== undefined && record.iat < key.notBefore)
    ) {
      return {
        reason: 'key-revoked',
        detail: `key ${key.kid} may no longer vouch for this signature`,
      };
    }
    const entry = revocations?.find({
      iss: record.iss!,
      sub: name,
      ver: record.ver!,
      dig: record.dig!,
      kid: key.kid,
    });
    if (entry) {
      return {
        reason: 'revoked',
        detail: `revoked at ${entry.revokedAt}${entry.reason ? `: ${entry.reason}` : ''}`,
      };
    }
    return undefined;
  }
}

/** Whether the located id text is the id the message parsed to (a guard on the scanner). */
function sameId(text: string, span: IdSpan, id: unknown): boolean {
  try {
    return Object.is(JSON.parse(text.slice(span.start, span.end)), id);
  } catch {
    return false;
  }
}
