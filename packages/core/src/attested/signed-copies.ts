import { pinKey } from '../pins/pin-store.js';
import { signatureOf } from '../tool/signed-content.js';
import { toolDigest } from '../tool/tool-digest.js';
import type { SignedTool } from '../tool/types.js';
import { parseCompactJws } from '../verify/parse-jws.js';

// Attested signatures (DESIGN.md, "Signatures in band and attested out of band"): an unsigned
// tool served by an MCP server is accepted when a trust source holds a signed copy of exactly
// its content. These are the pieces the gateway and `etdi verify`/`etdi scan` share: reading a
// signed copy, and indexing copies by the digest of their content.

/** A signed definition held by a trust source, indexed by the digest of its content. */
export interface SignedCopy {
  readonly tool: SignedTool;
  /** Digest of the copy's signed content (computed here, not taken from its claims). */
  readonly dig: string;
  /** Claims as the signature states them (checked when the copy is verified). */
  readonly iss: string;
  readonly sub: string;
  readonly ver: string;
  /** `iat` as the signature states it, when it is a number (newer copies are preferred). */
  readonly iat: number | undefined;
  /** Where the copy came from: a file path or the registry URL. */
  readonly source: string;
}

/** The claims of a signed tool as its JWS states them, unverified; `undefined` if unreadable. */
export function statedClaims(tool: unknown): Record<string, unknown> | undefined {
  const jws = signatureOf(tool);
  if (typeof jws !== 'string') return undefined;
  try {
    return parseCompactJws(jws).payload;
  } catch {
    return undefined;
  }
}

/**
 * Reads a signed copy: a tool carrying a readable signature whose claims name `iss`, `sub` and
 * `ver`. Returns why not otherwise. Nothing is verified here: a copy is verified with every
 * check when an upstream tool matches it.
 *
 * @example
 * const read = readSignedCopy(signedTool, 'trusted/everything.tools.json');
 * if (read.ok) index.add(read.copy);
 */
export function readSignedCopy(
  tool: unknown,
  source: string,
):
  | { readonly ok: true; readonly copy: SignedCopy }
  | { readonly ok: false; readonly error: string } {
  if (typeof signatureOf(tool) !== 'string') {
    return { ok: false, error: 'is not signed (no _meta["io.etdi/signature"])' };
  }
  const claims = statedClaims(tool);
  if (
    !claims ||
    typeof claims.iss !== 'string' ||
    typeof claims.sub !== 'string' ||
    typeof claims.ver !== 'string'
  ) {
    return { ok: false, error: 'has a signature whose claims iss, sub and ver cannot be read' };
  }
  let dig: string;
  try {
    dig = toolDigest(tool);
  } catch (e) {
    return { ok: false, error: `cannot be canonicalized: ${(e as Error).message}` };
  }
  return {
    ok: true,
    copy: {
      tool: tool as SignedTool,
      dig,
      iss: claims.iss,
      sub: claims.sub,
      ver: claims.ver,
      iat: typeof claims.iat === 'number' ? claims.iat : undefined,
      source,
    },
  };
}

/**
 * The tools of a document in one of the shapes `etdi sign` writes (a tool, an array of tools, or
 * a `tools/list` result `{ tools: [...] }`), and the JSON pointer of the array holding them.
 */
export function toolsOfDocument(value: unknown): { tools: readonly unknown[]; base: string } {
  if (Array.isArray(value)) return { tools: value, base: '' };
  const record = value as Record<string, unknown> | null;
  if (
    record !== null &&
    typeof record === 'object' &&
    Array.isArray(record.tools) &&
    !Object.hasOwn(record, 'inputSchema')
  ) {
    return { tools: record.tools, base: '/tools' };
  }
  return { tools: [value], base: '' };
}

/**
 * Signed copies by content digest, and the versions known per `(iss, name)`: what decides
 * between an attested tool, `digest-mismatch` and `unsigned` (DESIGN.md, "Signatures in band and
 * attested out of band").
 *
 * @example
 * const index = new SignedCopyIndex();
 * for (const tool of signedList.tools) {
 *   const read = readSignedCopy(tool, 'signed.json');
 *   if (read.ok) index.add(read.copy);
 * }
 * index.byDigest(toolDigest(upstreamTool)); // the copies of exactly this content
 */
export class SignedCopyIndex {
  readonly #byDigest = new Map<string, SignedCopy[]>();
  readonly #versions = new Map<string, Set<string>>();

  static readonly empty: SignedCopyIndex = new SignedCopyIndex([]);

  constructor(copies: Iterable<SignedCopy> = []) {
    for (const copy of copies) this.add(copy);
  }

  /** Indexes one more copy. */
  add(copy: SignedCopy): void {
    const same = this.#byDigest.get(copy.dig);
    if (same) same.push(copy);
    else this.#byDigest.set(copy.dig, [copy]);
    const id = pinKey(copy.iss, copy.sub);
    const versions = this.#versions.get(id);
    if (versions) versions.add(copy.ver);
    else this.#versions.set(id, new Set([copy.ver]));
  }

  get size(): number {
    let n = 0;
    for (const copies of this.#byDigest.values()) n += copies.length;
    return n;
  }

  /** Every copy whose content digests to `dig`. */
  byDigest(dig: string): readonly SignedCopy[] {
    return this.#byDigest.get(dig) ?? [];
  }

  /** Whether any signed version of `(iss, name)` is held. */
  hasVersions(iss: string, name: string): boolean {
    return this.#versions.has(pinKey(iss, name));
  }
}
