import {
  readSignedCopy,
  SignedCopyIndex,
  signatureOf,
  toolDigest,
  type RejectedTool,
  type SignedCopy,
  type SignedTool,
  type Verifier,
  type VerifyResult,
} from '@etdi/core';
import semver from 'semver';

/**
 * Attested verification (DESIGN.md, "Signatures in band and attested out of band"): an unsigned
 * tool is accepted when a trust source holds a signed copy of exactly its content, signed by an
 * allowed provider for the tool's name. Written here for `etdi verify` and `etdi scan`; reading and
 * indexing signed copies is @etdi/core's (shared with the gateway); matching and the verdicts
 * are the CLI's.
 */

/** Where signed copies are looked up: local files written by `etdi sign`, or the registry. */
export interface SignedCopySource {
  /** Signed tools whose `dig` claim is `dig` (content-addressed: `GET /v1/digests/{dig}`). */
  byDigest(dig: string): Promise<readonly unknown[]>;
  /** Whether any signed version of tool `name` by provider `iss` exists in this source. */
  hasVersions(iss: string, name: string): Promise<boolean>;
}

/** Options of {@link verifyAttested}. */
export interface AttestOptions {
  /** Providers allowed to attest this server's tools; a copy by anyone else never matches. */
  readonly providers: readonly string[];
  readonly sources: readonly SignedCopySource[];
}

/** A verdict on one tool, saying whether it stood on a signed copy. */
export type AttestedResult = VerifyResult & {
  /** True when the verdict is about a signed copy (or the lack of one) from a trust source. */
  readonly attested: boolean;
};

/** Highest version first, then the most recently issued: the copy a client should see. */
function byPreference(a: SignedCopy, b: SignedCopy): number {
  const v =
    semver.valid(a.ver) && semver.valid(b.ver)
      ? semver.rcompare(a.ver, b.ver)
      : b.ver.localeCompare(a.ver);
  return v !== 0 ? v : (b.iat ?? 0) - (a.iat ?? 0);
}

/**
 * An in-memory {@link SignedCopySource} over signed tools (the files given to `--signed-tools`),
 * on @etdi/core's {@link SignedCopyIndex}, the index the gateway uses.
 *
 * @example
 * const local = new SignedToolIndex(signedList.tools);
 * await local.byDigest(dig);
 */
export class SignedToolIndex implements SignedCopySource {
  readonly #index = new SignedCopyIndex();

  constructor(tools: Iterable<unknown> = []) {
    for (const t of tools) this.add(t);
  }

  /** Adds a signed tool; returns false (and keeps nothing) when its claims cannot be read. */
  add(tool: unknown): boolean {
    const read = readSignedCopy(tool, 'signed-tools');
    if (read.ok) this.#index.add(read.copy);
    return read.ok;
  }

  async byDigest(dig: string): Promise<readonly unknown[]> {
    return this.#index.byDigest(dig).map((c) => c.tool);
  }

  async hasVersions(iss: string, name: string): Promise<boolean> {
    return this.#index.hasVersions(iss, name);
  }
}

/** What the trust sources hold for one unsigned tool. */
export type AttestedMatch =
  | { readonly kind: 'copies'; readonly copies: readonly SignedTool[] }
  | { readonly kind: 'digest-mismatch'; readonly iss: string }
  | { readonly kind: 'none' };

/**
 * Finds the signed copies of an unsigned tool: `dig` of its content equals the copy's `dig`,
 * the copy's `iss` is an allowed provider and its `sub` is the tool's name. Best copy first.
 * Without one, reports `digest-mismatch` when an allowed provider signed other content under
 * this name (the server serves something other than what was signed).
 */
export async function findSignedCopies(
  tool: { readonly name: string },
  dig: string,
  options: AttestOptions,
): Promise<AttestedMatch> {
  const allowed = new Set(options.providers);
  const found: SignedCopy[] = [];
  const seen = new Set<string>();
  for (const source of options.sources) {
    for (const candidate of await source.byDigest(dig)) {
      const read = readSignedCopy(candidate, 'trust source');
      if (!read.ok) continue;
      const c = read.copy;
      if (c.dig !== dig || c.sub !== tool.name || !allowed.has(c.iss)) continue;
      const jws = signatureOf(c.tool) as string;
      if (seen.has(jws)) continue;
      seen.add(jws);
      found.push(c);
    }
  }
  if (found.length > 0)
    return { kind: 'copies', copies: found.sort(byPreference).map((f) => f.tool) };
  for (const iss of options.providers) {
    for (const source of options.sources) {
      if (await source.hasVersions(iss, tool.name)) return { kind: 'digest-mismatch', iss };
    }
  }
  return { kind: 'none' };
}

/**
 * Verifies a tool list in band and attested: every tool goes through `verifier.verifyAll` (so
 * structure, duplicate names and in-band signatures are judged exactly as without attestation);
 * each tool rejected only as `unsigned` is then looked up in the trust sources. A matching signed
 * copy is verified in its place (with every check, revocations and pins included), and its
 * verdict, with the copy as `tool`, is the tool's; the first copy that passes wins. With no
 * match the tool stays `unsigned`, or is `digest-mismatch` when the provider signed other content
 * under its name.
 *
 * @example
 * const results = await verifyAttested(verifier, upstreamTools, {
 *   providers: ['com.acme'],
 *   sources: [new SignedToolIndex(signedCopies)],
 * });
 */
export async function verifyAttested(
  verifier: Verifier,
  tools: readonly unknown[],
  options: AttestOptions,
): Promise<AttestedResult[]> {
  const { results } = await verifier.verifyAll(tools);
  const out: AttestedResult[] = [];
  for (const result of results) {
    if (result.ok || result.reason !== 'unsigned' || options.providers.length === 0) {
      out.push({ ...result, attested: false });
      continue;
    }
    const tool = result.tool as { name: string };
    const match = await findSignedCopies(tool, toolDigest(tool), options);
    if (match.kind === 'none') {
      out.push({
        ...result,
        detail: `${result.detail}, and no trust source holds a signed copy of it by ${options.providers.join(' or ')}`,
        attested: false,
      });
      continue;
    }
    if (match.kind === 'digest-mismatch') {
      const rejected: RejectedTool = {
        ok: false,
        reason: 'digest-mismatch',
        detail:
          `${match.iss} signed versions of ${JSON.stringify(tool.name)}, but none with this content: ` +
          'the server serves something other than what was signed',
        name: tool.name,
        iss: match.iss,
        tool: result.tool,
      };
      out.push({ ...rejected, attested: true });
      continue;
    }
    let verdict: VerifyResult | undefined;
    for (const copy of match.copies) {
      const r = await verifier.verify(copy);
      verdict ??= r;
      if (r.ok) {
        verdict = r;
        break;
      }
    }
    out.push({ ...(verdict as VerifyResult), attested: true });
  }
  return out;
}
