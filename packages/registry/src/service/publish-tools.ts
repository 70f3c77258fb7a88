import {
  parseCompactJws,
  signatureOf,
  TrustStore,
  Verifier,
  type RejectedTool,
  type SigningKey,
  type VerifiedTool,
  type VerifyResult,
} from '@etdi/core';
import { RegistryError } from '../errors.js';
import type { Principal } from '../http/auth.js';
import type { NewToolRecord, RegistryStore, ToolRecord } from '../store/registry-store.js';
import { receiptSubject, signReceipt } from './receipt.js';
import type { RevocationPublisher } from './revocation-publisher.js';
import { trustJwksOf } from './trust-jwk.js';

/** What {@link publishTools} works with. */
export interface PublishContext {
  readonly store: RegistryStore;
  readonly registryId: string;
  readonly signingKey: SigningKey;
  readonly revocations: RevocationPublisher;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** The outcome of one tool of an accepted batch. */
export interface PublishedTool {
  readonly iss: string;
  readonly name: string;
  readonly ver: string;
  readonly dig: string;
  /** `created`, or `unchanged`: already stored with this content and perms (the first signature stays). */
  readonly outcome: 'created' | 'unchanged';
  /** The receipt served with the version. */
  readonly receipt: string;
}

/** An accepted batch: `created` when at least one version is new (201), else 200. */
export interface PublishOutcome {
  readonly created: boolean;
  readonly tools: readonly PublishedTool[];
}

/** What a tool claims about itself, read without trusting it: for the ownership check. */
function claimsOf(tool: unknown): { iss: string; kid: string | undefined } | undefined {
  try {
    const jws = signatureOf(tool);
    if (typeof jws !== 'string') return undefined;
    const { header, payload } = parseCompactJws(jws);
    if (typeof payload.iss !== 'string') return undefined;
    return { iss: payload.iss, kid: typeof header.kid === 'string' ? header.kid : undefined };
  } catch {
    return undefined;
  }
}

function toolSummary(
  index: number,
  r: { name?: string; iss?: string; ver?: string; kid?: string },
) {
  return {
    index,
    ...(r.name === undefined ? {} : { name: r.name }),
    ...(r.iss === undefined ? {} : { iss: r.iss }),
    ...(r.ver === undefined ? {} : { ver: r.ver }),
    ...(r.kid === undefined ? {} : { kid: r.kid }),
  };
}

function rejectedError(index: number, rejected: RejectedTool): RegistryError {
  const label =
    rejected.name === undefined ? `tools[${index}]` : `tools[${index}] (${rejected.name})`;
  return new RegistryError(rejected.reason, `${label} was refused: ${rejected.detail}`, {
    pointer: `/tools/${index}${rejected.pointer ?? ''}`,
    details: { tool: toolSummary(index, rejected) },
  });
}

function rugPull(
  index: number,
  tool: VerifiedTool,
  existing: Pick<ToolRecord, 'dig' | 'perms'> & { publishedAt?: string },
): RegistryError {
  return new RegistryError(
    'rug-pull',
    `tools[${index}] (${tool.iss}/${tool.sub}@${tool.ver}) is already published with ` +
      (existing.dig !== tool.dig
        ? `digest ${existing.dig}, not ${tool.dig}`
        : `perms [${existing.perms.join(' ')}], not [${tool.perms.join(' ')}]`) +
      '; a published version never changes: publish the change as a new version',
    {
      pointer: `/tools/${index}`,
      details: {
        tool: toolSummary(index, { name: tool.sub, iss: tool.iss, ver: tool.ver, kid: tool.kid }),
        existing: {
          dig: existing.dig,
          perms: existing.perms,
          ...(existing.publishedAt === undefined ? {} : { publishedAt: existing.publishedAt }),
        },
      },
    },
  );
}

/**
 * Verifies tools against each tool's provider's registered keys. Tools that share a name are
 * verified in separate rounds (a verifier refuses a list with one name twice; a batch may carry
 * two versions of a tool).
 */
async function verifyBatch(verifier: Verifier, tools: readonly unknown[]): Promise<VerifyResult[]> {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  tools.forEach((tool, i) => {
    const name = (tool as { name?: unknown } | null)?.name;
    const round = typeof name === 'string' ? (seen.get(name) ?? 0) : 0;
    if (typeof name === 'string') seen.set(name, round + 1);
    (rounds[round] ??= []).push(i);
  });
  const results: VerifyResult[] = new Array(tools.length);
  for (const round of rounds) {
    const { results: verified } = await verifier.verifyAll(round.map((i) => tools[i]));
    verified.forEach((r, j) => {
      results[round[j]!] = r;
    });
  }
  return results;
}

/**
 * Publishes a batch of signed tools, all or nothing:
 * 1. ownership first: a publisher may only publish tools whose `iss` is its provider (403
 *    `not-owner`, whatever the signature);
 * 2. every tool verified with @etdi/core against the registered keys of the providers named
 *    (a key of another provider is known, so squatting is `key-provider-mismatch`) and the
 *    registry's revocation list: the first refused tool decides the 422 and its reason code;
 * 3. stored in one transaction; `(iss, sub, ver)` with another digest or other perms is 409
 *    `rug-pull`, the same again is `unchanged` (the first signature stays the one served).
 */
export async function publishTools(
  ctx: PublishContext,
  principal: Principal,
  tools: readonly unknown[],
): Promise<PublishOutcome> {
  const claimed = tools.map(claimsOf);
  if (principal.role === 'publisher') {
    const foreign = claimed.findIndex((c) => c !== undefined && c.iss !== principal.iss);
    if (foreign !== -1) {
      throw new RegistryError(
        'not-owner',
        `tools[${foreign}] is signed for provider ${JSON.stringify(claimed[foreign]!.iss)}; this API key publishes for ${JSON.stringify(principal.iss)} only`,
        { pointer: `/tools/${foreign}` },
      );
    }
  }
  const issuers = [...new Set(claimed.flatMap((c) => (c ? [c.iss] : [])))];
  const kids = [...new Set(claimed.flatMap((c) => (c?.kid === undefined ? [] : [c.kid])))];
  const keys = await ctx.store.listKeys({ iss: issuers, kid: kids });
  const verifier = new Verifier({
    trust: await TrustStore.fromJwks(trustJwksOf(keys)),
    revocations: await ctx.revocations.list(),
    now: ctx.now,
    cache: false,
  });
  const results = await verifyBatch(verifier, tools);
  const refused = results.findIndex((r) => !r.ok);
  if (refused !== -1) throw rejectedError(refused, results[refused] as RejectedTool);
  const verified = results as VerifiedTool[];

  // A batch that names one version twice stores it once; twice with different content is a rug pull.
  const first = new Map<string, number>();
  const unique: number[] = [];
  verified.forEach((v, i) => {
    const id = JSON.stringify([v.iss, v.sub, v.ver]);
    const j = first.get(id);
    if (j === undefined) {
      first.set(id, i);
      unique.push(i);
      return;
    }
    const w = verified[j]!;
    if (w.dig !== v.dig || w.perms.join(' ') !== v.perms.join(' ')) throw rugPull(i, v, w);
  });

  const nowMs = ctx.now();
  const iat = Math.floor(nowMs / 1000);
  const publishedAt = new Date(nowMs).toISOString();
  const records: NewToolRecord[] = await Promise.all(
    unique.map(async (i) => {
      const v = verified[i]!;
      const tool = v.tool as { title?: unknown; description?: unknown };
      return {
        iss: v.iss,
        sub: v.sub,
        ver: v.ver,
        dig: v.dig,
        perms: v.perms,
        kid: v.kid,
        iat: v.claims.iat,
        // Exactly the JSON text of the tool as received: member order kept, nothing added.
        body: JSON.stringify(v.tool),
        receipt: await signReceipt(ctx.signingKey, {
          iss: ctx.registryId,
          sub: receiptSubject(v.iss, v.sub, v.ver),
          dig: v.dig,
          iat,
        }),
        ...(typeof tool.title === 'string' ? { title: tool.title } : {}),
        ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
        publishedAt,
      };
    }),
  );
  const stored = await ctx.store.publish(records);
  if (!stored.ok) {
    const index = unique[stored.index]!;
    throw rugPull(index, verified[index]!, stored.existing);
  }
  const byIdentity = new Map<string, PublishedTool>();
  stored.results.forEach((r, k) => {
    const v = verified[unique[k]!]!;
    byIdentity.set(JSON.stringify([v.iss, v.sub, v.ver]), {
      iss: v.iss,
      name: v.sub,
      ver: v.ver,
      dig: r.record.dig,
      outcome: r.outcome,
      receipt: r.record.receipt,
    });
  });
  const out = verified.map((v, i) => {
    const r = byIdentity.get(JSON.stringify([v.iss, v.sub, v.ver]))!;
    // The second mention of a version in one batch adds nothing.
    return first.get(JSON.stringify([v.iss, v.sub, v.ver])) === i
      ? r
      : { ...r, outcome: 'unchanged' as const };
  });
  return { created: out.some((t) => t.outcome === 'created'), tools: out };
}
