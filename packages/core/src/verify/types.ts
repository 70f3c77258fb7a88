import type { ReasonCode } from '../reason-codes.js';
import type { SigningAlgorithm } from '../keys/algorithms.js';
import type { PinStore } from '../pins/pin-store.js';
import type { RevocationList } from '../revocation/revocation-list.js';
import type { ToolClaims } from '../sign/claims.js';
import type { SignedTool, Tool } from '../tool/types.js';
import type { ToolLimits } from '../tool/validate-tool.js';
import type { TrustStore } from '../trust/trust-store.js';
import type { TimeInput } from '../util/duration.js';

/**
 * Options of {@link Verifier}, {@link verifyTool} and {@link verifyTools}. Durations follow the
 * family's rule: `maxAge: '30d'` (a string with a unit) or `maxAgeSec: 2592000` (seconds), not
 * both. A verifier reads them once, at construction.
 */
export interface VerifyOptions {
  /** Keys bound to providers. */
  trust: TrustStore;
  /** Verification time. Default: the current time, read once per call. */
  now?: TimeInput | (() => TimeInput);
  /**
   * Oldest acceptable signature (`iat`), a duration such as `30d`. Default none.
   *
   * A number of seconds here is deprecated (use `maxAgeSec`) and is refused once `etdi verify`
   * has moved to `maxAgeSec`.
   */
  maxAge?: string | number;
  /** Oldest acceptable signature (`iat`), in seconds. */
  maxAgeSec?: number;
  /** Allowed clock skew for `iat`, `nbf`, `exp` and the revocation list, a duration. Default `60s`. */
  clockTolerance?: string;
  /** Allowed clock skew, in seconds. */
  clockToleranceSec?: number;
  /** Accepted algorithms; a subset of EdDSA, ES256, PS256. Default all three. */
  algorithms?: readonly SigningAlgorithm[];
  /** The registry's revocation list. A list past its `exp` fails every tool as `stale`. */
  revocations?: RevocationList;
  /** Accept a revocation list past its `exp` instead of failing closed. Default false. */
  allowExpiredRevocations?: boolean;
  /** Approved definitions; enables the `rug-pull`, `rollback` and `reapproval-required` checks. */
  pins?: PinStore;
  /** Approve a tool seen for the first time (trust on first use). Default true. */
  approveFirstUse?: boolean;
  /** Record first-use approvals and permission-preserving upgrades in `pins`. Default true. */
  recordPins?: boolean;
  /**
   * Remember, per verifier, digests that passed schema validation and JWSs whose signature
   * verified, so a list seen before is not validated and verified again. Default true.
   */
  cache?: boolean;
  /** Limits on each definition (size, depth, name pattern, schema check). */
  limits?: ToolLimits;
}

/**
 * What {@link Verifier.update} may change on a live verifier: every option except `cache` and
 * `limits`, which its caches depend on. Members left out (or `undefined`) keep their value.
 */
export type VerifierUpdate = Partial<Omit<VerifyOptions, 'cache' | 'limits'>>;

/** Counters of one verifier cache. */
export interface CacheCounters {
  /** Work skipped: a schema validation or a signature check the cache answered. */
  readonly hits: number;
  /** Work done: a schema validation or a signature check that ran. */
  readonly misses: number;
  /** What the cache holds now. */
  readonly entries: number;
}

/** {@link Verifier.cacheStats}: schema validity by digest, signature validity by JWS. */
export interface VerifierCacheStats {
  readonly schema: CacheCounters;
  readonly signature: CacheCounters;
}

/** A tool that passed every check. */
export interface VerifiedTool {
  readonly ok: true;
  readonly tool: SignedTool;
  readonly name: string;
  readonly claims: ToolClaims;
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly iss: string;
  readonly sub: string;
  readonly ver: string;
  readonly dig: string;
  readonly perms: readonly string[];
  /** What the pin check found: `not-checked` without a pin store. */
  readonly pin: 'first-use' | 'unchanged' | 'upgrade' | 'not-checked';
}

/** A tool that failed a check: `reason` is the first failing check, `detail` says why. */
export interface RejectedTool {
  readonly ok: false;
  readonly reason: ReasonCode;
  readonly detail: string;
  /** The tool's `name`, when it has a string one. */
  readonly name?: string;
  /** JSON pointer of the offending member, for `malformed` and `schema-invalid`. */
  readonly pointer?: string;
  readonly iss?: string;
  readonly ver?: string;
  readonly kid?: string;
  readonly tool: unknown;
}

export type VerifyResult = VerifiedTool | RejectedTool;

/** The outcome of verifying a whole `tools/list`. */
export interface VerifyToolsResult {
  /** One result per input tool, in input order. */
  readonly results: readonly VerifyResult[];
  /** The tools that passed, in input order: what an enforcing gateway serves. */
  readonly valid: readonly SignedTool[];
  readonly rejected: readonly RejectedTool[];
  readonly summary: { readonly valid: number; readonly rejected: number };
}

export type ToolListInput =
  | readonly unknown[]
  | readonly Tool[]
  | { readonly tools: readonly unknown[]; readonly [member: string]: unknown };
