/**
 * Every reason a tool definition can be rejected for, in the order the verifier checks them
 * (DESIGN.md, "Verification: ordered checks"). The first failing check decides the code.
 */
export const REASON_CODES = [
  'malformed',
  'schema-invalid',
  'unsigned',
  'alg-not-allowed',
  'unknown-key',
  'key-provider-mismatch',
  'key-revoked',
  'bad-signature',
  'digest-mismatch',
  'name-mismatch',
  'not-yet-valid',
  'expired',
  'stale',
  'revoked',
  'rug-pull',
  'rollback',
  'reapproval-required',
] as const;

/** A stable, closed reason code: callers `switch` on it; logs and CLI output show it. */
export type ReasonCode = (typeof REASON_CODES)[number];

const reasonSet: ReadonlySet<string> = new Set(REASON_CODES);

/** Type guard for values read from the wire or from logs. */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && reasonSet.has(value);
}
