import semver from 'semver';
import { EtdiError } from '../errors/etdi-error.js';
import { isScopeToken } from '../scopes.js';

/** The `typ` header of a signed tool definition. */
export const TOOL_JWS_TYPE = 'etdi-tool+jwt';

/** Claims of a signed tool definition (wire format v1). */
export interface ToolClaims {
  /** Provider id (a namespace such as `com.acme`). */
  iss: string;
  /** Tool name (= the tool's `name`). */
  sub: string;
  /** Semantic version of the definition. */
  ver: string;
  /** base64url(SHA-256(JCS(signed content))). */
  dig: string;
  /** OAuth scopes a caller needs to call the tool; may be empty. */
  perms: string[];
  /** Issued at, epoch seconds. */
  iat: number;
  exp?: number;
  nbf?: number;
  jti?: string;
}

/** A provider id: a reverse-DNS-like namespace, or any URI-safe identifier. */
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,255}$/;
const DIGEST = /^[A-Za-z0-9_-]{43}$/;

/** Whether `value` is a semantic version (SemVer 2.0.0, e.g. `1.2.0`, `2.0.0-rc.1`), exactly. */
export function isSemanticVersion(value: unknown): value is string {
  return typeof value === 'string' && semver.valid(value) === value;
}

/** Checks a provider id; throws `invalid-argument` naming the rule. */
export function assertProviderId(iss: unknown, what = 'provider id (iss)'): asserts iss is string {
  if (typeof iss !== 'string' || !PROVIDER_ID.test(iss)) {
    throw new EtdiError(
      'invalid-argument',
      `${what} ${JSON.stringify(iss)} must be 1–256 characters of letters, digits and . _ : / @ -, ` +
        'starting with a letter or digit (e.g. com.acme)',
    );
  }
}

/** Sorted, de-duplicated scopes; throws `invalid-argument` for a token that is not a scope. */
export function normalizePerms(perms: readonly unknown[]): string[] {
  for (const p of perms) {
    if (!isScopeToken(p)) {
      throw new EtdiError(
        'invalid-argument',
        `permission ${JSON.stringify(p)} is not an OAuth scope token (RFC 6749 §3.3: no spaces, quotes or backslashes)`,
      );
    }
  }
  return sortedUnique(perms as string[]);
}

/** Scopes as a set in one spelling: sorted, each once. Permissions compare as sets everywhere. */
export function sortedUnique(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}

function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Checks the claims of a tool JWS payload. Returns a message naming the first bad claim, or
 * `undefined` when the claims are well formed.
 */
export function describeClaimsProblem(c: Record<string, unknown>): string | undefined {
  if (typeof c.iss !== 'string' || !PROVIDER_ID.test(c.iss))
    return 'claim "iss" missing or invalid';
  if (typeof c.sub !== 'string' || c.sub.length === 0) return 'claim "sub" missing or invalid';
  if (!isSemanticVersion(c.ver)) {
    return 'claim "ver" missing or not a semantic version (e.g. 1.2.0)';
  }
  if (typeof c.dig !== 'string' || !DIGEST.test(c.dig))
    return 'claim "dig" missing or not a base64url SHA-256 digest';
  if (!Array.isArray(c.perms) || !c.perms.every(isScopeToken)) {
    return 'claim "perms" missing or not an array of OAuth scope tokens';
  }
  if (!isNumericDate(c.iat)) return 'claim "iat" missing or not a NumericDate';
  if (c.exp !== undefined && !isNumericDate(c.exp)) return 'claim "exp" is not a NumericDate';
  if (c.nbf !== undefined && !isNumericDate(c.nbf)) return 'claim "nbf" is not a NumericDate';
  if (c.jti !== undefined && (typeof c.jti !== 'string' || c.jti.length === 0))
    return 'claim "jti" is not a string';
  return undefined;
}
