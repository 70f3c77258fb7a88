import { verify as cryptoVerify } from 'node:crypto';
import { EtdiError } from '../errors/etdi-error.js';
import {
  isSigningAlgorithm,
  nodeVerifyParams,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from '../keys/algorithms.js';
import { checkPin } from '../pins/check-pin.js';
import { pinKey, type Pin, type PinStore } from '../pins/pin-store.js';
import type { ReasonCode } from '../reason-codes.js';
import {
  describeClaimsProblem,
  sortedUnique,
  TOOL_JWS_TYPE,
  type ToolClaims,
} from '../sign/claims.js';
import { signatureOf } from '../tool/signed-content.js';
import type { SignedTool } from '../tool/types.js';
import { toolDigest } from '../tool/tool-digest.js';
import { checkToolSchema, type ToolLimits } from '../tool/validate-tool.js';
import { keyWindowProblem, type TrustedKey, type TrustStore } from '../trust/trust-store.js';
import {
  durationOption,
  epochSeconds,
  isoSeconds as iso,
  type TimeInput,
} from '../util/duration.js';
import type { RevocationList } from '../revocation/revocation-list.js';
import { parseToolJws, type ParsedJws } from './parse-jws.js';
import type {
  RejectedTool,
  ToolListInput,
  VerifiedTool,
  VerifierCacheStats,
  VerifierUpdate,
  VerifyOptions,
  VerifyResult,
  VerifyToolsResult,
} from './types.js';

/** Everything learned about a tool before its signature is checked. */
interface Prepared extends SignatureStage {
  readonly tool: SignedTool;
  readonly dig: string;
}

/** What the signature says, checked against the trust, before the signature itself is. */
interface SignatureStage {
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
 * the oldest entries go first. Counts its hits and misses for {@link Verifier.cacheStats}.
 */
class BoundedSet {
  readonly #items = new Set<string>();
  readonly #enabled: boolean;
  #chars = 0;
  hits = 0;
  misses = 0;
  /** A disabled set holds nothing: every lookup is a miss (the work is done every time). */
  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }
  /** Whether `v` is held, counted as a hit or a miss. */
  lookup(v: string): boolean {
    const found = this.#items.has(v);
    if (found) this.hits++;
    else this.misses++;
    return found;
  }
  get size(): number {
    return this.#items.size;
  }
  add(v: string) {
    if (!this.#enabled || this.#items.has(v)) return;
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
 * A verifier's options, resolved and validated once. {@link Verifier.update} replaces the whole
 * object, and every call reads one of them from start to end, so a list is never verified half
 * with the old trust and half with the new.
 */
interface Settings {
  readonly trust: TrustStore;
  /** A fixed verification time (epoch seconds), a clock, or `undefined` for the current time. */
  readonly now: number | (() => TimeInput) | undefined;
  /** Seconds. */
  readonly maxAge: number | undefined;
  /** Seconds. */
  readonly tolerance: number;
  readonly algorithms: ReadonlySet<string>;
  readonly revocations: RevocationList | undefined;
  readonly allowExpiredRevocations: boolean;
  readonly pins: PinStore | undefined;
  readonly approveFirstUse: boolean;
  readonly recordPins: boolean;
}

/** The clock skew allowed when the options name none: one minute. */
const DEFAULT_CLOCK_TOLERANCE_SEC = 60;

function algorithmSet(algorithms: readonly unknown[]): ReadonlySet<string> {
  for (const a of algorithms) {
    if (!isSigningAlgorithm(a)) {
      throw new EtdiError(
        'invalid-argument',
        `Algorithm ${JSON.stringify(a)} cannot be allowed; use EdDSA, ES256 or PS256`,
      );
    }
  }
  return new Set(algorithms as readonly string[]);
}

/** A fixed time is checked (and a Date copied) now: a caller's Date may change later. */
function fixedTime(now: NonNullable<VerifyOptions['now']>): Settings['now'] {
  return typeof now === 'function' ? now : epochSeconds(now);
}

/**
 * Resolves options into settings: every member given in `o`, the rest from `base` (or the
 * defaults). Nothing is read from the caller's object afterwards.
 */
function settingsOf(o: VerifierUpdate, base: Settings | undefined): Settings {
  const trust = o.trust ?? base?.trust;
  if (!trust) throw new EtdiError('invalid-argument', 'Verifier needs a "trust" store');
  const revocations = o.revocations ?? base?.revocations;
  const held = base?.revocations;
  if (revocations && held && revocations.issuer === held.issuer && revocations.seq < held.seq) {
    throw new EtdiError(
      'invalid-argument',
      `The revocation list of ${held.issuer} (seq ${revocations.seq}) is older than the one in use (seq ${held.seq}): rollback refused`,
    );
  }
  const maxAge = durationOption(o, 'maxAge', { legacySeconds: true });
  const tolerance = durationOption(o, 'clockTolerance');
  return {
    trust,
    now: o.now === undefined ? base?.now : fixedTime(o.now),
    maxAge: maxAge ?? base?.maxAge,
    tolerance: tolerance ?? base?.tolerance ?? DEFAULT_CLOCK_TOLERANCE_SEC,
    algorithms:
      o.algorithms === undefined
        ? (base?.algorithms ?? new Set(SIGNING_ALGORITHMS))
        : algorithmSet(o.algorithms),
    revocations,
    allowExpiredRevocations: o.allowExpiredRevocations ?? base?.allowExpiredRevocations ?? false,
    pins: o.pins ?? base?.pins,
    approveFirstUse: o.approveFirstUse ?? base?.approveFirstUse ?? true,
    recordPins: o.recordPins ?? base?.recordPins ?? true,
  };
}

const nowOf = (s: Settings): number => (typeof s.now === 'number' ? s.now : epochSeconds(s.now));

/** A tool whose signature, content, name, times and revocation status passed. */
interface Checked {
  readonly p: Prepared;
  readonly perms: string[];
}

/**
 * Verifies tool definitions against a trust store with the ordered checks of DESIGN.md. Keep
 * one per trust configuration: it caches what never changes for a given input (structural
 * validity by digest, signature validity by JWS), so a list it has seen verifies cheaply.
 * Options are read once, at construction; {@link Verifier.update} changes trust, revocations,
 * times and pins on a live verifier and keeps its caches.
 *
 * @example
 * const verifier = new Verifier({ trust, pins: new MemoryPinStore(), maxAge: '30d' });
 * const { valid, rejected } = await verifier.verifyAll(result.tools);
 * verifier.update({ trust: await TrustStore.fromJwks(refreshed), revocations: latest });
 */
export class Verifier {
  #settings: Settings;
  readonly #limits: ToolLimits | undefined;
  readonly #schemaValid: BoundedSet;
  readonly #signatureValid: BoundedSet;

  constructor(options: VerifyOptions) {
    this.#settings = settingsOf(options ?? {}, undefined);
    this.#limits = options.limits && { ...options.limits };
    const cache = options.cache ?? true;
    this.#schemaValid = new BoundedSet(cache);
    this.#signatureValid = new BoundedSet(cache);
  }

  /**
   * Changes options of a live verifier, keeping its caches: members given replace the current
   * ones, members left out (or `undefined`) stay. Validated first, applied whole: on an error
   * nothing changes. Calls already running finish with the settings they started with.
   *
   * The caches stay sound because neither depends on what can change here. A schema-valid
   * digest is a fact about content and the verifier's `limits` (fixed). A known-good signature
   * is a fact about a JWS and its `kid`, and a `kid` is the RFC 7638 thumbprint of exactly one
   * public key (the trust store refuses any other), so it skips only the signature arithmetic:
   * every tool still goes through the key lookup, provider binding, key status and validity
   * window of the NEW trust, and the times, revocations and pins of the new settings.
   *
   * A revocation list older (lower `seq`) than the one in use from the same issuer is refused.
   *
   * @example
   * verifier.update({ trust: await TrustStore.fromJwks(jwks), revocations, maxAge: '30d' });
   */
  update(changes: VerifierUpdate): void {
    this.#settings = settingsOf(changes, this.#settings);
  }

  /**
   * What the caches saved: `hits` are schema validations or signature checks skipped, `misses`
   * the ones run; `entries` is what each cache holds now. For metrics and tests.
   */
  cacheStats(): VerifierCacheStats {
    const of = (set: BoundedSet) => ({ hits: set.hits, misses: set.misses, entries: set.size });
    return { schema: of(this.#schemaValid), signature: of(this.#signatureValid) };
  }

  /** Verifies one tool. Never throws for bad input: every rejection is a result with a reason. */
  async verify(tool: unknown): Promise<VerifyResult> {
    const s = this.#settings;
    const now = nowOf(s);
    const prepared = this.#prepare(tool, this.#content(tool), this.#signature(tool, s));
    if (!('parsed' in prepared)) return prepared;
    const good = prepared.signatureKnownGood || this.#verifySignatureSync(prepared);
    const checked = this.#check(prepared, good, now, s);
    if (!('p' in checked)) return checked;
    if (!s.pins) return accepted(checked, 'not-checked');
    const { iss, sub } = checked.p.claims;
    return this.#pin(checked, await s.pins.get(iss, sub), now, s.pins, s);
  }

  /**
   * Verifies a whole `tools/list` (an array, or a `{ tools }` result). Signatures are checked
   * concurrently on the libuv thread pool while the main thread prepares the next tools; the
   * pins of the whole list are read with one `PinStore.getMany`. Tools that share a name are
   * all rejected as `malformed`: a client could not tell them apart.
   */
  async verifyAll(input: ToolListInput): Promise<VerifyToolsResult> {
    const tools = toolsOf(input);
    const s = this.#settings;
    const now = nowOf(s);
    const names = new Map<string, number>();
    for (const t of tools) {
      const name = (t as { name?: unknown } | null)?.name;
      if (typeof name === 'string') names.set(name, (names.get(name) ?? 0) + 1);
    }
    // The signatures go to the thread pool first: reading a JWS and looking its key up is a small
    // part of preparing a tool, so the pool is busy from the start while the main thread
    // canonicalizes and validates the contents. What is reported still follows the order of the
    // checks: a content problem comes before any signature problem.
    const staged = tools.map((tool) => {
      const name = (tool as { name?: unknown } | null)?.name;
      const count = typeof name === 'string' ? (names.get(name) ?? 0) : 0;
      if (count > 1) {
        const detail = `the list has ${count} tools named ${JSON.stringify(name)}`;
        return { tool, early: rejection(tool, 'malformed', detail, { pointer: '/name' }) };
      }
      const sig = this.#signature(tool, s);
      if (sig === undefined || 'ok' in sig) return { tool, sig };
      return { tool, sig, good: sig.signatureKnownGood || this.#verifySignatureAsync(sig) };
    });
    const prepared = staged.map((x) =>
      x.early
        ? { p: x.early }
        : { p: this.#prepare(x.tool, this.#content(x.tool), x.sig), good: x.good },
    );
    const checked: (RejectedTool | Checked)[] = [];
    for (const { p, good } of prepared) {
      checked.push('parsed' in p ? this.#check(p, (await good) ?? false, now, s) : p);
    }
    const store = s.pins;
    let results: VerifyResult[];
    if (store) {
      // One read for the whole list. Names are unique in a list that gets this far and `sub` is
      // the name, so each tool has its own pin and the approvals can run side by side.
      const ids = checked.flatMap((c) => ('p' in c ? [c.p.claims] : []));
      const pinned = ids.length > 0 ? await store.getMany(ids) : new Map<string, Pin>();
      results = await Promise.all(
        checked.map((c) => {
          if (!('p' in c)) return c;
          const { iss, sub } = c.p.claims;
          return this.#pin(c, pinned.get(pinKey(iss, sub)), now, store, s);
        }),
      );
    } else {
      results = checked.map((c) => ('p' in c ? accepted(c, 'not-checked') : c));
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

  /** The content checks: canonical form and digest (`malformed`), MCP schema (`schema-invalid`). */
  #content(tool: unknown): { readonly dig: string } | RejectedTool {
    try {
      const dig = toolDigest(tool, this.#limits);
      if (!this.#schemaValid.lookup(dig)) {
        checkToolSchema(tool, this.#limits);
        this.#schemaValid.add(dig);
      }
      return { dig };
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
  }

  /**
   * The signature checks that need no content: the JWS, its header and claims (`malformed`),
   * the algorithm, and the key in the current trust (`alg-not-allowed` ... `key-revoked`).
   * `undefined` when the tool has no string signature (the content checks say what that is).
   */
  #signature(tool: unknown, s: Settings): SignatureStage | RejectedTool | undefined {
    const jws = signatureOf(tool);
    if (typeof jws !== 'string') return undefined;
    let parsed: ParsedJws;
    try {
      parsed = parseToolJws(jws);
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
    if (typeof alg !== 'string' || !s.algorithms.has(alg) || !isSigningAlgorithm(alg)) {
      return rejection(
        tool,
        'alg-not-allowed',
        `protected header "alg" ${JSON.stringify(alg)} is not allowed; allowed: ${[...s.algorithms].join(', ')}`,
        ids,
      );
    }
    const key = s.trust.get(header.kid);
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
    // Only now, with the key checked against the current trust, may a cached signature count.
    const signatureKnownGood = this.#signatureValid.lookup(jws);
    return { jws, parsed, alg, claims, key, signatureKnownGood };
  }

  /** The two stages together, reporting the first failing check in the order of DESIGN.md. */
  #prepare(
    tool: unknown,
    content: { readonly dig: string } | RejectedTool,
    signature: SignatureStage | RejectedTool | undefined,
  ): Prepared | RejectedTool {
    if ('ok' in content) return content;
    if (signature === undefined)
      return rejection(tool, 'unsigned', 'the tool has no _meta["io.etdi/signature"]');
    if ('ok' in signature) return signature;
    // Members named one by one: an object spread here cost more than the claims checks.
    const { jws, parsed, alg, claims, key, signatureKnownGood } = signature;
    return {
      jws,
      parsed,
      alg,
      claims,
      key,
      signatureKnownGood,
      tool: tool as SignedTool,
      dig: content.dig,
    };
  }

  #verifySignatureSync(p: SignatureStage): boolean {
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

  #verifySignatureAsync(p: SignatureStage): Promise<boolean> {
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

  /** The checks after the signature, up to the revocation list: everything but the pins. */
  #check(p: Prepared, signatureOk: boolean, now: number, s: Settings): Checked | RejectedTool {
    const { tool, claims, key, dig } = p;
    const ids = { kid: key.kid, iss: claims.iss, ver: claims.ver };
    if (!signatureOk)
      return rejection(
        tool,
        'bad-signature',
        `the signature does not verify with key ${key.kid}`,
        ids,
      );
    this.#signatureValid.add(p.jws);
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
    const tol = s.tolerance;
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
    if (s.maxAge !== undefined && now - claims.iat > s.maxAge + tol) {
      return rejection(
        tool,
        'stale',
        `the signature was issued at ${iso(claims.iat)}, more than ${s.maxAge} s ago`,
        ids,
      );
    }
    const revocations = s.revocations;
    if (revocations) {
      if (!s.allowExpiredRevocations && revocations.isExpired(now, tol)) {
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
    return { p, perms: sortedUnique(claims.perms) };
  }

  /** The stateful checks against `pinned`, the pin read for this tool, and the approval. */
  async #pin(
    c: Checked,
    pinned: Pin | undefined,
    now: number,
    store: PinStore,
    s: Settings,
  ): Promise<VerifyResult> {
    const { tool, claims, key, dig } = c.p;
    const { perms } = c;
    const ids = { kid: key.kid, iss: claims.iss, ver: claims.ver };
    const subject = { ver: claims.ver, dig, perms };
    const approval = (): Pin => ({
      iss: claims.iss,
      sub: claims.sub,
      ver: claims.ver,
      dig,
      perms,
      kid: key.kid,
      approvedAt: iso(now),
    });
    let check = checkPin(pinned, subject);
    if (check.ok && check.action === 'first-use' && !s.approveFirstUse) {
      return rejection(
        tool,
        'reapproval-required',
        `tool ${claims.iss}/${claims.sub} has not been approved yet`,
        ids,
      );
    }
    if (check.ok && check.action !== 'unchanged' && s.recordPins) {
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
    return accepted(c, check.action);
  }
}

function accepted(c: Checked, pin: VerifiedTool['pin']): VerifiedTool {
  const { tool, claims, key, dig, alg } = c.p;
  return {
    ok: true,
    tool,
    name: tool.name,
    claims,
    alg,
    kid: key.kid,
    iss: claims.iss,
    sub: claims.sub,
    ver: claims.ver,
    dig,
    perms: c.perms,
    pin,
  };
}
