import { verify as cryptoVerify } from 'node:crypto';
import { EtdiError } from '../errors/etdi-error.js';
import {
  isSigningAlgorithm,
  nodeVerifyParams,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from '../keys/algorithms.js';
import { checkPin } from '../pins/check-pin.js';
import type { Pin } from '../pins/pin-store.js';
import type { ReasonCode } from '../reason-codes.js';
import { describeClaimsProblem, TOOL_JWS_TYPE, type ToolClaims } from '../sign/claims.js';
import { signatureOf } from '../tool/signed-content.js';
import type { SignedTool } from '../tool/types.js';
import { toolDigest } from '../tool/tool-digest.js';
import { checkToolSchema } from '../tool/validate-tool.js';
import { keyWindowProblem, type TrustedKey } from '../trust/trust-store.js';
import { epochSeconds, parseDuration } from '../util/duration.js';
import { parseCompactJws, type ParsedJws } from './parse-jws.js';
import type {
  RejectedTool,
  ToolListInput,
  VerifiedTool,
  VerifyOptions,
  VerifyResult,
  VerifyToolsResult,
} from './types.js';

/** Everything learned about a tool before its signature is checked. */
interface Prepared {
  readonly tool: SignedTool;
  readonly dig: string;
  readonly jws: string;
  readonly parsed: ParsedJws;
  readonly alg: SigningAlgorithm;
  readonly claims: ToolClaims;
  readonly key: TrustedKey;
  /** The signature already verified in this verifier (cache by JWS). */
  readonly signatureKnownGood: boolean;
}

/** Entries, and characters over all entries, a verifier cache holds at most. */
const CACHE_LIMIT = 10_000;
const CACHE_CHARS = 8 * 1024 * 1024;

const verifyParams = new WeakMap<TrustedKey, ReturnType<typeof nodeVerifyParams>>();

/** node:crypto parameters of a trusted key, built once per key rather than once per signature. */
function verifyParamsOf(key: TrustedKey): ReturnType<typeof nodeVerifyParams> {
  let params = verifyParams.get(key);
  if (!params) {
    params = nodeVerifyParams(key.alg, key.key);
    verifyParams.set(key, params);
  }
  return params;
}

/**
 * Insertion-ordered set bounded in entries and in characters (JWSs may be up to 16 KiB each):
 * the oldest entries go first.
 */
class BoundedSet {
  readonly #items = new Set<string>();
  #chars = 0;
  has(v: string) {
    return this.#items.has(v);
  }
  add(v: string) {
    if (this.#items.has(v)) return;
    while (
      this.#items.size > 0 &&
      (this.#items.size >= CACHE_LIMIT || this.#chars + v.length > CACHE_CHARS)
    ) {
      const oldest = this.#items.values().next().value as string;
      this.#items.delete(oldest);
      this.#chars -= oldest.length;
    }
    this.#items.add(v);
    this.#chars += v.length;
  }
}

function rejection(
  tool: unknown,
  reason: ReasonCode,
  detail: string,
  extra: Partial<Omit<RejectedTool, 'ok' | 'reason' | 'detail' | 'tool'>> = {},
): RejectedTool {
  const name =
    tool !== null &&
    typeof tool === 'object' &&
    typeof (tool as { name?: unknown }).name === 'string'
      ? (tool as { name: string }).name
      : undefined;
  return { ok: false, reason, detail, ...(name === undefined ? {} : { name }), ...extra, tool };
}

function toolsOf(input: ToolListInput): readonly unknown[] {
  if (Array.isArray(input)) return input;
  const tools = (input as { tools?: unknown } | null | undefined)?.tools;
  if (!Array.isArray(tools)) {
    throw new EtdiError(
      'invalid-argument',
      'Expected an array of tools or a tools/list result { "tools": [...] }',
    );
  }
  return tools;
}

/**
 * Verifies tool definitions against a trust store with the ordered checks of DESIGN.md. Keep
 * one per trust configuration: it caches what never changes for a given input (structural
 * validity by digest, signature validity by JWS), so a list it has seen verifies cheaply.
 *
 * @example
 * const verifier = new Verifier({ trust, pins: new MemoryPinStore(), maxAge: '30d' });
 * const { valid, rejected } = await verifier.verifyAll(result.tools);
 */
export class Verifier {
  readonly #options: VerifyOptions;
  readonly #algorithms: ReadonlySet<string>;
  readonly #maxAge: number | undefined;
  readonly #tolerance: number;
  readonly #schemaValid: BoundedSet | undefined;
  readonly #signatureValid: BoundedSet | undefined;

  constructor(options: VerifyOptions) {
    if (!options?.trust) throw new EtdiError('invalid-argument', 'Verifier needs a "trust" store');
    const algorithms = options.algorithms ?? SIGNING_ALGORITHMS;
    for (const a of algorithms) {
      if (!isSigningAlgorithm(a)) {
        throw new EtdiError(
          'invalid-argument',
          `Algorithm ${JSON.stringify(a)} cannot be allowed; use EdDSA, ES256 or PS256`,
        );
      }
    }
    this.#options = options;
    this.#algorithms = new Set(algorithms);
    this.#maxAge =
      options.maxAge === undefined ? undefined : parseDuration(options.maxAge, 'maxAge');
    this.#tolerance = parseDuration(options.clockTolerance ?? 60, 'clockTolerance');
    const cache = options.cache ?? true;
    this.#schemaValid = cache ? new BoundedSet() : undefined;
    this.#signatureValid = cache ? new BoundedSet() : undefined;
  }

  /** Verifies one tool. Never throws for bad input: every rejection is a result with a reason. */
  async verify(tool: unknown): Promise<VerifyResult> {
    const now = epochSeconds(this.#options.now);
    const prepared = this.#prepare(tool);
    if (!('parsed' in prepared)) return prepared;
    const good = prepared.signatureKnownGood || this.#verifySignatureSync(prepared);
    return this.#finish(prepared, good, now);
  }

  /**
   * Verifies a whole `tools/list` (an array, or a `{ tools }` result). Signatures are checked
   * concurrently on the libuv thread pool while the main thread prepares the next tools. Tools
   * that share a name are all rejected as `malformed`: a client could not tell them apart.
   */
  async verifyAll(input: ToolListInput): Promise<VerifyToolsResult> {
    const tools = toolsOf(input);
    const now = epochSeconds(this.#options.now);
    const names = new Map<string, number>();
    for (const t of tools) {
      const name = (t as { name?: unknown } | null)?.name;
      if (typeof name === 'string') names.set(name, (names.get(name) ?? 0) + 1);
    }
    // Each signature check goes to the thread pool as soon as its tool is prepared, so the pool
    // verifies while the main thread canonicalizes the next tools.
    const staged = tools.map((tool): RejectedTool | [Prepared, boolean | Promise<boolean>] => {
      const name = (tool as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && (names.get(name) ?? 0) > 1) {
        return rejection(
          tool,
          'malformed',
          `the list has ${names.get(name)} tools named ${JSON.stringify(name)}`,
          { pointer: '/name' },
        );
      }
      const p = this.#prepare(tool);
      if (!('parsed' in p)) return p;
      return [p, p.signatureKnownGood || this.#verifySignatureAsync(p)];
    });
    const results: VerifyResult[] = [];
    for (const s of staged) {
      results.push(Array.isArray(s) ? await this.#finish(s[0], await s[1], now) : s);
    }
    const valid: SignedTool[] = [];
    const rejected: RejectedTool[] = [];
    for (const r of results) {
      if (r.ok) valid.push(r.tool);
      else rejected.push(r);
    }
    return {
      results,
      valid,
      rejected,
      summary: { valid: valid.length, rejected: rejected.length },
    };
  }

  #prepare(tool: unknown): Prepared | RejectedTool {
    let dig: string;
    try {
      dig = toolDigest(tool, this.#options.limits);
      if (!this.#schemaValid?.has(dig)) {
        checkToolSchema(tool, this.#options.limits);
        this.#schemaValid?.add(dig);
      }
    } catch (e) {
      if (e instanceof EtdiError && (e.code === 'malformed' || e.code === 'schema-invalid')) {
        return rejection(
          tool,
          e.code,
          e.message,
          e.pointer === undefined ? {} : { pointer: e.pointer },
        );
      }
      throw e;
    }
    const jws = signatureOf(tool) as string | undefined;
    if (jws === undefined)
      return rejection(tool, 'unsigned', 'the tool has no _meta["io.etdi/signature"]');
    let parsed: ParsedJws;
    try {
      parsed = parseCompactJws(jws);
    } catch (e) {
      if (e instanceof EtdiError)
        return rejection(tool, 'malformed', e.message, { pointer: e.pointer });
      throw e;
    }
    const { header, payload } = parsed;
    if (header.typ !== TOOL_JWS_TYPE) {
      return rejection(
        tool,
        'malformed',
        `protected header "typ" must be ${JSON.stringify(TOOL_JWS_TYPE)}`,
      );
    }
    if (header.crit !== undefined) {
      return rejection(
        tool,
        'malformed',
        'protected header "crit" names extensions this verifier does not understand',
      );
    }
    if (typeof header.kid !== 'string' || header.kid.length === 0) {
      return rejection(tool, 'malformed', 'protected header "kid" (Key ID) missing or invalid');
    }
    const problem = describeClaimsProblem(payload);
    if (problem) return rejection(tool, 'malformed', `payload ${problem}`, { kid: header.kid });
    const claims = payload as unknown as ToolClaims;
    const ids = { kid: header.kid, iss: claims.iss, ver: claims.ver };
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.#algorithms.has(alg) || !isSigningAlgorithm(alg)) {
      return rejection(
        tool,
        'alg-not-allowed',
        `protected header "alg" ${JSON.stringify(alg)} is not allowed; allowed: ${[...this.#algorithms].join(', ')}`,
        ids,
      );
    }
    const key = this.#options.trust.get(header.kid);
    if (!key) return rejection(tool, 'unknown-key', `no trusted key has kid ${header.kid}`, ids);
    if (key.alg !== alg) {
      return rejection(
        tool,
        'alg-not-allowed',
        `key ${key.kid} is a key for ${key.alg}, not ${alg}`,
        ids,
      );
    }
    if (key.iss !== claims.iss) {
      return rejection(
        tool,
        'key-provider-mismatch',
        key.iss === undefined
          ? `key ${key.kid} is bound to no provider, so it cannot sign for ${JSON.stringify(claims.iss)}`
          : `key ${key.kid} signs for ${JSON.stringify(key.iss)}, not for ${JSON.stringify(claims.iss)}`,
        ids,
      );
    }
    const keyProblem = keyWindowProblem(key, claims.iat);
    if (keyProblem) return rejection(tool, 'key-revoked', keyProblem, ids);
    return {
      tool: tool as SignedTool,
      dig,
      jws,
      parsed,
      alg,
      claims,
      key,
      signatureKnownGood: this.#signatureValid?.has(jws) ?? false,
    };
  }

  #verifySignatureSync(p: Prepared): boolean {
    const { digest, key } = verifyParamsOf(p.key);
    try {
      return cryptoVerify(
        digest,
        Buffer.from(p.parsed.signingInput, 'latin1'),
        key,
        p.parsed.signature,
      );
    } catch {
      return false;
    }
  }

  #verifySignatureAsync(p: Prepared): Promise<boolean> {
    const { digest, key } = verifyParamsOf(p.key);
    return new Promise((resolve) => {
      try {
        cryptoVerify(
          digest,
          Buffer.from(p.parsed.signingInput, 'latin1'),
          key,
          p.parsed.signature,
          (err, ok) => resolve(!err && ok),
        );
      } catch {
        resolve(false);
      }
    });
  }

  async #finish(p: Prepared, signatureOk: boolean, now: number): Promise<VerifyResult> {
    const { tool, claims, key, dig } = p;
    const ids = { kid: key.kid, iss: claims.iss, ver: claims.ver };
    if (!signatureOk)
      return rejection(
        tool,
        'bad-signature',
        `the signature does not verify with key ${key.kid}`,
        ids,
      );
    this.#signatureValid?.add(p.jws);
    if (claims.dig !== dig) {
      return rejection(
        tool,
        'digest-mismatch',
        `the signed digest is ${claims.dig}, the tool's content digests to ${dig}: the content was changed after signing`,
        ids,
      );
    }
    if (claims.sub !== tool.name) {
      return rejection(
        tool,
        'name-mismatch',
        `the signature is for tool ${JSON.stringify(claims.sub)}, not ${JSON.stringify(tool.name)}`,
        ids,
      );
    }
    const tol = this.#tolerance;
    const iso = (s: number) => new Date(s * 1000).toISOString();
    if (claims.nbf !== undefined && claims.nbf > now + tol) {
      return rejection(
        tool,
        'not-yet-valid',
        `the signature is not valid before ${iso(claims.nbf)}`,
        ids,
      );
    }
    if (claims.iat > now + tol) {
      return rejection(
        tool,
        'not-yet-valid',
        `the signature is issued in the future (${iso(claims.iat)})`,
        ids,
      );
    }
    if (claims.exp !== undefined && claims.exp <= now - tol) {
      return rejection(tool, 'expired', `the signature expired at ${iso(claims.exp)}`, ids);
    }
    if (this.#maxAge !== undefined && now - claims.iat > this.#maxAge + tol) {
      return rejection(
        tool,
        'stale',
        `the signature was issued at ${iso(claims.iat)}, more than ${this.#maxAge} s ago`,
        ids,
      );
    }
    const revocations = this.#options.revocations;
    if (revocations) {
      if (!this.#options.allowExpiredRevocations && revocations.isExpired(now, tol)) {
        return rejection(
          tool,
          'stale',
          `the revocation list (seq ${revocations.seq}) expired at ${iso(revocations.expiresAt)}; refresh it from the registry`,
          ids,
        );
      }
      const entry = revocations.find({
        iss: claims.iss,
        sub: claims.sub,
        ver: claims.ver,
        dig,
        kid: key.kid,
      });
      if (entry) {
        return rejection(
          tool,
          'revoked',
          `revoked at ${entry.revokedAt}${entry.reason ? `: ${entry.reason}` : ''}`,
          ids,
        );
      }
    }
    const perms = [...new Set(claims.perms)].sort();
    let pinAction: VerifiedTool['pin'] = 'not-checked';
    const store = this.#options.pins;
    if (store) {
      const subject = { ver: claims.ver, dig, perms };
      const approval = (): Pin => ({
        iss: claims.iss,
        sub: claims.sub,
        ver: claims.ver,
        dig,
        perms,
        kid: key.kid,
        approvedAt: new Date(now * 1000).toISOString(),
      });
      const pinned = await store.get(claims.iss, claims.sub);
      let check = checkPin(pinned, subject);
      const record = this.#options.recordPins ?? true;
      if (check.ok && check.action === 'first-use' && !(this.#options.approveFirstUse ?? true)) {
        return rejection(
          tool,
          'reapproval-required',
          `tool ${claims.iss}/${claims.sub} has not been approved yet`,
          ids,
        );
      }
      if (check.ok && check.action !== 'unchanged' && record) {
        // Record the approval atomically: setIfAbsent for a first use, compare-and-set for an
        // upgrade. Another node may get there first; what is in force then decides. Two upgrades
        // racing from one pin can never both win, or a lower version could overwrite a higher one
        // and be replayed later.
        let inForce = check.action === 'first-use' ? await store.setIfAbsent(approval()) : pinned;
        for (let attempt = 0; ; attempt++) {
          const raced = checkPin(inForce, subject);
          if (!raced.ok) check = raced;
          else if (raced.action === 'upgrade' && inForce && attempt < 3) {
            inForce = await store.replaceIf(inForce, approval());
            continue;
          } else if (raced.action !== 'unchanged') {
            check = {
              ok: false,
              reason: 'reapproval-required',
              detail: `the pin of ${claims.iss}/${claims.sub} kept changing while version ${claims.ver} was being approved`,
            };
          }
          // 'unchanged': this approval (or an identical one from another node) is in force.
          break;
        }
      }
      if (!check.ok) return rejection(tool, check.reason, check.detail, ids);
      pinAction = check.action;
    }
    return {
      ok: true,
      tool,
      name: tool.name,
      claims,
      alg: p.alg,
      kid: key.kid,
      iss: claims.iss,
      sub: claims.sub,
      ver: claims.ver,
      dig,
      perms,
      pin: pinAction,
    };
  }
}
