import type { KeyObject } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { EtdiError } from '../errors/etdi-error.js';
import type { SigningAlgorithm } from '../keys/algorithms.js';
import { importVerificationKey } from '../keys/import-key.js';
import type { KeyStatus, TrustJwk, TrustJwks } from '../keys/types.js';
import { compileSchema, formatIssues, schemaIssues } from '../schema/compile-schema.js';
import { RFC3339_DATE_TIME, TrustJwksSchema } from './trust-jwks-schema.js';

/** One key the verifier trusts, bound to the provider it signs for. */
export interface TrustedKey {
  readonly kid: string;
  /** Provider the key signs for; `undefined` means it signs for no one. */
  readonly iss: string | undefined;
  readonly alg: SigningAlgorithm;
  readonly status: KeyStatus;
  /** Validity window in epoch seconds: signatures issued (`iat`) outside it are refused. */
  readonly notBefore: number | undefined;
  readonly notAfter: number | undefined;
  readonly key: KeyObject;
  readonly jwk: TrustJwk;
  /** Where the key came from (a file path or URL), for messages. */
  readonly source: string | undefined;
}

export interface AddJwksOptions {
  /** Where the document came from, named in errors and kept on each key. */
  source?: string;
}

let validateDoc: ValidateFunction<TrustJwks> | undefined;
const RFC3339 = new RegExp(RFC3339_DATE_TIME);

function parseDate(value: string | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!RFC3339.test(value) || Number.isNaN(ms)) {
    throw new EtdiError(
      'invalid-jwks',
      `${where} is not an RFC 3339 date-time: ${JSON.stringify(value)}`,
    );
  }
  return Math.floor(ms / 1000);
}

const STATUS_ORDER: Record<KeyStatus, number> = { active: 0, retired: 1, revoked: 2 };

/**
 * What a second statement about a known key may change. Trust only ever narrows: the status
 * moves active → retired → revoked and never back, `notAfter` only moves earlier and
 * `notBefore` only later, so a stale copy of a JWKS can never undo a retirement or revocation
 * made elsewhere. A key is never re-bound to another provider.
 */
function mergeKey(current: TrustedKey, incoming: TrustedKey): TrustedKey {
  if (current.iss !== incoming.iss) {
    throw new EtdiError(
      'invalid-jwks',
      `Key ${current.kid} is already trusted for provider ${JSON.stringify(current.iss)}` +
        `${current.source ? ` (from ${current.source})` : ''}; refusing to bind it to ` +
        `${JSON.stringify(incoming.iss)}${incoming.source ? ` (from ${incoming.source})` : ''}`,
    );
  }
  const status =
    STATUS_ORDER[incoming.status] > STATUS_ORDER[current.status] ? incoming.status : current.status;
  const earliest = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b);
  const latest = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.max(a, b);
  const notAfter = earliest(current.notAfter, incoming.notAfter);
  const notBefore = latest(current.notBefore, incoming.notBefore);
  const iso = (t: number | undefined) =>
    t === undefined ? undefined : new Date(t * 1000).toISOString();
  const jwk: TrustJwk = { ...current.jwk, status };
  if (notAfter !== undefined) jwk.notAfter = iso(notAfter);
  if (notBefore !== undefined) jwk.notBefore = iso(notBefore);
  return { ...current, status, notAfter, notBefore, jwk };
}

/**
 * Why a key may not have made a signature issued at `iat` (epoch seconds), or `undefined` when
 * it may: revoked, or `iat` outside its validity window (a retired key still verifies what it
 * signed up to its `notAfter`).
 */
export function keyWindowProblem(key: TrustedKey, iat: number): string | undefined {
  const iso = (t: number) => new Date(t * 1000).toISOString();
  if (key.status === 'revoked') return `key ${key.kid} is revoked`;
  if (key.notAfter !== undefined && iat > key.notAfter) {
    return `key ${key.kid} ${key.status === 'retired' ? 'was retired' : 'stopped being valid'} at ${iso(key.notAfter)}, before this signature (iat ${iso(iat)})`;
  }
  if (key.notBefore !== undefined && iat < key.notBefore) {
    return `key ${key.kid} is only valid from ${iso(key.notBefore)}, after this signature`;
  }
  return undefined;
}

/**
 * Maps `kid` → public key → provider (`iss`) → status and validity window. Built from trust
 * JWKS documents; a key of provider A never verifies a tool that claims provider B.
 *
 * @example
 * const trust = await TrustStore.fromJwks(JSON.parse(await readFile('jwks.json', 'utf8')));
 */
export class TrustStore {
  readonly #keys = new Map<string, TrustedKey>();

  /** A trust store holding the keys of one or more JWKS documents. */
  static async fromJwks(...documents: unknown[]): Promise<TrustStore> {
    const store = new TrustStore();
    for (const doc of documents) await store.addJwks(doc);
    return store;
  }

  /**
   * Adds every key of a trust JWKS. Refuses the whole document, naming the key, if any key is
   * malformed, private, of an unsupported type, or has a `kid` that is not its RFC 7638
   * thumbprint, or if a `kid` already in the store is bound to another provider. A key already
   * known is merged: its trust may narrow (retired, revoked, shorter window), never widen.
   */
  async addJwks(doc: unknown, options: AddJwksOptions = {}): Promise<void> {
    const from = options.source ? ` in ${options.source}` : '';
    validateDoc ??= compileSchema<TrustJwks>(TrustJwksSchema);
    if (!validateDoc(doc)) {
      const issues = schemaIssues(validateDoc.errors);
      throw new EtdiError('invalid-jwks', formatIssues(`Not a trust JWKS${from}`, issues), {
        pointer: issues[0]?.pointer ?? '',
      });
    }
    const jwks = doc.keys;
    const loaded: TrustedKey[] = [];
    for (const [i, jwk] of jwks.entries()) {
      const where = `keys[${i}]${jwk.kid ? ` (kid ${jwk.kid})` : ''}${from}`;
      let imported;
      try {
        imported = await importVerificationKey(jwk);
      } catch (cause) {
        throw new EtdiError('invalid-jwks', `${where}: ${(cause as Error).message}`, { cause });
      }
      const status = jwk.status ?? 'active';
      const notAfter = parseDate(jwk.notAfter, `${where} notAfter`);
      if (status === 'retired' && notAfter === undefined) {
        throw new EtdiError(
          'invalid-jwks',
          `${where}: a retired key needs "notAfter", the end of the period it signed in`,
        );
      }
      loaded.push({
        kid: imported.kid,
        iss: jwk.iss,
        alg: imported.alg,
        status,
        notBefore: parseDate(jwk.notBefore, `${where} notBefore`),
        notAfter,
        key: imported.key,
        jwk: { ...imported.publicJwk, ...jwk, kid: imported.kid },
        source: options.source,
      });
    }
    // Validate every key against the store (and the document against itself) before changing
    // anything: a document is taken whole or not at all.
    const next = new Map<string, TrustedKey>();
    for (const key of loaded) {
      const current = next.get(key.kid) ?? this.#keys.get(key.kid);
      next.set(key.kid, current ? mergeKey(current, key) : key);
    }
    for (const [kid, key] of next) this.#keys.set(kid, key);
  }

  get(kid: string): TrustedKey | undefined {
    return this.#keys.get(kid);
  }

  get size(): number {
    return this.#keys.size;
  }

  keys(): IterableIterator<TrustedKey> {
    return this.#keys.values();
  }

  /** The store as a trust JWKS document. */
  toJwks(): TrustJwks {
    return { keys: [...this.#keys.values()].map((k) => k.jwk) };
  }
}
