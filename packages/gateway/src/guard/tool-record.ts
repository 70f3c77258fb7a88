import type { Pin, ReasonCode } from '@etdi/core';

/** Where the signed definition of a tool came from. */
export type ToolSource = 'in-band' | 'signed-tools' | 'registry' | 'none';

/** A tool waiting for an administrator (`reapproval-required`). */
export interface PendingApproval {
  /** `first-use`: never approved (firstUse: hold); `added-scopes`: a newer version widens perms. */
  readonly kind: 'first-use' | 'added-scopes';
  /** The scopes the waiting version adds to the approved one (all its perms on first use). */
  readonly addedScopes: readonly string[];
  /** The pin in force when the decision was made, if any: approval replaces exactly it. */
  readonly pin: Pin | undefined;
}

/** The guard's last decision about one tool of one upstream. */
export interface ToolRecord {
  readonly upstream: string;
  /** The tool's name; `undefined` for an entry without a string name. */
  readonly name: string | undefined;
  readonly ok: boolean;
  /** Why it was rejected; `undefined` when verified. */
  readonly reason: ReasonCode | undefined;
  readonly detail: string;
  readonly source: ToolSource;
  readonly iss?: string | undefined;
  readonly ver?: string | undefined;
  readonly kid?: string | undefined;
  readonly dig?: string | undefined;
  /** Signed perms (sorted): the scopes a caller needs. */
  readonly perms?: readonly string[] | undefined;
  /** Claims the call-time checks need again (epoch seconds). */
  readonly iat?: number | undefined;
  readonly exp?: number | undefined;
  /** RFC 3339 time of the decision. */
  readonly decidedAt: string;
  readonly approval?: PendingApproval | undefined;
}

/** A pin as the cache compares it: version, digest and the set of perms. */
export function pinFingerprint(pin: Pick<Pin, 'ver' | 'dig' | 'perms'> | undefined): string {
  if (!pin) return '';
  const perms = Array.isArray(pin.perms) ? [...new Set(pin.perms)].sort().join(' ') : '?';
  return `${String(pin.ver)}\u0000${String(pin.dig)}\u0000${perms}`;
}
