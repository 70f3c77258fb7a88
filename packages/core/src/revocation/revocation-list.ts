import { compactVerify, CompactSign, decodeProtectedHeader } from 'jose';
import { EtdiError } from '../errors/etdi-error.js';
import type { SigningKey } from '../keys/types.js';
import { keyWindowProblem, type TrustStore } from '../trust/trust-store.js';
import { durationOption, epochSeconds, type TimeInput } from '../util/duration.js';

/** The `typ` header of a signed revocation list. */
export const REVOCATION_LIST_TYPE = 'etdi-revocations+jwt';

/**
 * One revocation. Which definitions it covers follows from the members it has:
 * `kid` alone: everything that key signed; `iss` (+ `sub` (+ `ver`)): a provider, a tool, or one
 * version of it; `dig`: one exact definition content. Members combine with AND.
 */
export interface RevocationEntry {
  iss?: string;
  sub?: string;
  ver?: string;
  dig?: string;
  kid?: string;
  reason?: string;
  /** RFC 3339 date-time of the revocation. */
  revokedAt: string;
}

/** Claims of a revocation list JWS. */
export interface RevocationListClaims {
  /** The registry that issued the list. */
  iss: string;
  /** Monotonic sequence number: a verifier never goes back to a lower one. */
  seq: number;
  iat: number;
  /** Required: a list that cannot be refreshed goes stale and verification fails closed. */
  exp: number;
  entries: RevocationEntry[];
}

/** What a definition is matched against the list with. */
export interface RevocationSubject {
  iss: string;
  sub: string;
  ver: string;
  dig: string;
  kid: string;
}

const MAX_LIST_LENGTH = 8 * 1024 * 1024;

/** The defaults of signing and verifying revocation lists, in one place. */
const REVOCATION_DEFAULTS = {
  /** A list lives an hour: a gateway that cannot refresh it fails closed soon. */
  lifetimeSec: 3600,
  clockToleranceSec: 60,
  /** A longer-lived list would defeat the freeze protection. */
  maxLifetimeSec: 24 * 3600,
} as const;

function invalid(message: string, cause?: unknown): never {
  throw new EtdiError('invalid-revocation-list', `Revocation list ${message}`, { cause });
}

function checkEntry(e: unknown, i: number): RevocationEntry {
  if (e === null || typeof e !== 'object' || Array.isArray(e))
    invalid(`entry ${i} is not an object`);
  const entry = e as Record<string, unknown>;
  for (const m of ['iss', 'sub', 'ver', 'dig', 'kid', 'reason', 'revokedAt'] as const) {
    if (entry[m] !== undefined && typeof entry[m] !== 'string')
      invalid(`entry ${i} "${m}" is not a string`);
  }
  if (typeof entry.revokedAt !== 'string' || Number.isNaN(Date.parse(entry.revokedAt))) {
    invalid(`entry ${i} "revokedAt" is missing or not a date-time`);
  }
  if (entry.kid === undefined && entry.dig === undefined && entry.iss === undefined) {
    invalid(`entry ${i} names nothing: it needs "kid", "dig" or "iss"`);
  }
  if ((entry.sub !== undefined || entry.ver !== undefined) && entry.iss === undefined) {
    invalid(`entry ${i} has "sub"/"ver" without "iss"`);
  }
  if (entry.ver !== undefined && entry.sub === undefined)
    invalid(`entry ${i} has "ver" without "sub"`);
  return entry as unknown as RevocationEntry;
}

/**
 * A verified, registry-signed revocation list.
 *
 * @example
 * const list = await verifyRevocationList(jws, { trust, issuer: 'registry.example' });
 * list.find({ iss, sub, ver, dig, kid }); // the entry that revokes it, or undefined
 */
export class RevocationList {
  readonly issuer: string;
  readonly seq: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly entries: readonly RevocationEntry[];
  // Entries are bucketed by their most selective member; every entry of a bucket is checked,
  // so a narrower entry never hides a broader one that shares its kid or digest.
  readonly #byKid = new Map<string, RevocationEntry[]>();
  readonly #byDig = new Map<string, RevocationEntry[]>();
  readonly #byIss = new Map<string, RevocationEntry[]>();

  constructor(claims: RevocationListClaims) {
    this.issuer = claims.iss;
    this.seq = claims.seq;
    this.issuedAt = claims.iat;
    this.expiresAt = claims.exp;
    this.entries = claims.entries.map((e, i) => checkEntry(e, i));
    for (const e of this.entries) {
      const [index, key] =
        e.kid !== undefined
          ? [this.#byKid, e.kid]
          : e.dig !== undefined
            ? [this.#byDig, e.dig]
            : [this.#byIss, e.iss!];
      const bucket = index.get(key);
      if (bucket) bucket.push(e);
      else index.set(key, [e]);
    }
  }

  /** Whether the list is past its `exp` at `nowSec` (epoch seconds), allowing `toleranceSec`. */
  isExpired(nowSec: number, toleranceSec = 0): boolean {
    return nowSec - toleranceSec >= this.expiresAt;
  }

  /** The entry that revokes this definition or its key, or `undefined`. */
  find(s: RevocationSubject): RevocationEntry | undefined {
    const matches = (e: RevocationEntry) =>
      (e.kid === undefined || e.kid === s.kid) &&
      (e.dig === undefined || e.dig === s.dig) &&
      (e.iss === undefined || e.iss === s.iss) &&
      (e.sub === undefined || e.sub === s.sub) &&
      (e.ver === undefined || e.ver === s.ver);
    return (
      this.#byKid.get(s.kid)?.find(matches) ??
      this.#byDig.get(s.dig)?.find(matches) ??
      this.#byIss.get(s.iss)?.find(matches)
    );
  }
}

export interface SignRevocationListOptions {
  /** The registry's signing key (bound to `issuer` if it carries `iss`). */
  key: SigningKey;
  /** The registry's id. Default: the key's `iss`. */
  issuer?: string;
  seq: number;
  /** Lifetime, a duration: keep it short (default `1h`), so a frozen list fails closed quickly. */
  expiresIn?: string;
  /** Lifetime in seconds. */
  expiresInSec?: number;
  now?: TimeInput;
}

/** Signs a revocation list as a compact JWS (`typ: etdi-revocations+jwt`). Used by the registry. */
export async function signRevocationList(
  entries: readonly RevocationEntry[],
  options: SignRevocationListOptions,
): Promise<string> {
  const issuer = options.issuer ?? options.key.iss;
  if (!issuer) throw new EtdiError('invalid-argument', 'A revocation list needs an issuer');
  if (options.key.iss !== undefined && options.key.iss !== issuer) {
    throw new EtdiError(
      'key-provider-mismatch',
      `Key ${options.key.kid} is bound to ${options.key.iss}, not ${issuer}`,
    );
  }
  if (!Number.isSafeInteger(options.seq) || options.seq < 0) {
    throw new EtdiError('invalid-argument', 'seq must be a non-negative integer');
  }
  const iat = epochSeconds(options.now);
  const claims: RevocationListClaims = {
    iss: issuer,
    seq: options.seq,
    iat,
    exp: iat + (durationOption(options, 'expiresIn') ?? REVOCATION_DEFAULTS.lifetimeSec),
    entries: entries.map((e, i) => checkEntry(e, i)),
  };
  return new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: options.key.alg, kid: options.key.kid, typ: REVOCATION_LIST_TYPE })
    .sign(options.key.privateKey);
}

export interface VerifyRevocationListOptions {
  /** Trust store holding the registry's key, bound (`iss`) to the registry id. */
  trust: TrustStore;
  /** The registry id the list must come from. */
  issuer: string;
  now?: TimeInput;
  /** Allowed clock skew, a duration. Default `60s`. */
  clockTolerance?: string;
  /** Allowed clock skew in seconds. */
  clockToleranceSec?: number;
  /** Longest accepted lifetime (`exp` − `iat`), a duration. Default `24h`. */
  maxLifetime?: string;
  /** Longest accepted lifetime in seconds. */
  maxLifetimeSec?: number;
  /** Accept a list past its `exp` (default false: fail closed). */
  allowExpired?: boolean;
  /** The list currently held: a lower `seq` is a rollback and is refused. */
  current?: RevocationList;
}

/**
 * Verifies a registry-signed revocation list: signature by a trusted key bound to `issuer` and
 * valid when the list was issued, `typ`, claims, `iat` not in the future, a lifetime within
 * `maxLifetime`, `exp` (fails closed unless `allowExpired`) and no rollback below `current.seq`. Throws `EtdiError('invalid-revocation-list')` with the reason.
 */
export async function verifyRevocationList(
  jws: string,
  options: VerifyRevocationListOptions,
): Promise<RevocationList> {
  if (typeof jws !== 'string' || jws.length > MAX_LIST_LENGTH)
    invalid('is not a compact JWS of sane size');
  let header;
  try {
    header = decodeProtectedHeader(jws);
  } catch (cause) {
    invalid('is not a compact JWS', cause);
  }
  if (header.typ !== REVOCATION_LIST_TYPE)
    invalid(`has "typ" ${JSON.stringify(header.typ)}, expected ${REVOCATION_LIST_TYPE}`);
  if (typeof header.kid !== 'string') invalid('has no "kid"');
  const key = options.trust.get(header.kid);
  if (!key) invalid(`is signed by unknown key ${header.kid}`);
  if (key.iss !== options.issuer) {
    invalid(
      `is signed by key ${key.kid} of ${JSON.stringify(key.iss)}, not of registry ${JSON.stringify(options.issuer)}`,
    );
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key.key, { algorithms: [key.alg] }));
  } catch (cause) {
    invalid(`signature does not verify: ${(cause as Error).message}`, cause);
  }
  let claims: RevocationListClaims;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as RevocationListClaims;
  } catch (cause) {
    invalid('payload is not JSON', cause);
  }
  if (claims === null || typeof claims !== 'object') invalid('payload is not an object');
  if (claims.iss !== options.issuer)
    invalid(`"iss" ${JSON.stringify(claims.iss)} is not ${JSON.stringify(options.issuer)}`);
  for (const m of ['seq', 'iat', 'exp'] as const) {
    if (!Number.isSafeInteger(claims[m]) || claims[m] < 0)
      invalid(`"${m}" is missing or not a non-negative integer`);
  }
  if (!Array.isArray(claims.entries)) invalid('"entries" is not an array');
  const keyProblem = keyWindowProblem(key, claims.iat);
  if (keyProblem) invalid(`cannot be trusted: ${keyProblem}`);
  const now = epochSeconds(options.now);
  const tolerance =
    durationOption(options, 'clockTolerance') ?? REVOCATION_DEFAULTS.clockToleranceSec;
  if (claims.iat > now + tolerance) {
    invalid(`is issued in the future (iat ${new Date(claims.iat * 1000).toISOString()})`);
  }
  const maxLifetime = durationOption(options, 'maxLifetime') ?? REVOCATION_DEFAULTS.maxLifetimeSec;
  if (claims.exp - claims.iat > maxLifetime) {
    invalid(
      `lives ${claims.exp - claims.iat} s (iat to exp), longer than the ${maxLifetime} s allowed: ` +
        'a long-lived list defeats the freeze protection',
    );
  }
  const list = new RevocationList(claims);
  if (!options.allowExpired && list.isExpired(now, tolerance)) {
    invalid(
      `expired at ${new Date(list.expiresAt * 1000).toISOString()}; refusing a possibly frozen list`,
    );
  }
  if (options.current && list.seq < options.current.seq) {
    invalid(
      `seq ${list.seq} is older than the list already held (seq ${options.current.seq}): rollback refused`,
    );
  }
  return list;
}
