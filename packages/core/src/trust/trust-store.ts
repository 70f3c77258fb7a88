import type { KeyObject } from 'node:crypto';
import { Ajv } from 'ajv';
import { EtdiError } from '../errors.js';
import type { SigningAlgorithm } from '../keys/algorithms.js';
import { importVerificationKey } from '../keys/import-key.js';
import type { KeyStatus, TrustJwk, TrustJwks } from '../keys/types.js';
import { TRUST_JWKS_SCHEMA } from './trust-jwks-schema.js';

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

let validateDoc: ReturnType<Ajv['compile']> | undefined;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

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
   * thumbprint, or if a `kid` already in the store is bound to another provider.
   */
  async addJwks(doc: unknown, options: AddJwksOptions = {}): Promise<void> {
    const from = options.source ? ` in ${options.source}` : '';
    validateDoc ??= new Ajv({ strict: false, validateFormats: false, allErrors: false }).compile(
      TRUST_JWKS_SCHEMA,
    );
    if (!validateDoc(doc)) {
      const e = validateDoc.errors?.[0];
      throw new EtdiError(
        'invalid-jwks',
        `Not a trust JWKS${from}: ${e ? `${e.instancePath || '/'} ${e.message ?? ''}` : 'invalid'}`.trim(),
        { pointer: e?.instancePath },
      );
    }
    const jwks = (doc as TrustJwks).keys;
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
    for (const key of loaded) this.add(key);
  }

  /** Adds one key; a `kid` already bound to another provider is an error. */
  add(key: TrustedKey): void {
    const existing = this.#keys.get(key.kid);
    if (existing && existing.iss !== key.iss) {
      throw new EtdiError(
        'invalid-jwks',
        `Key ${key.kid} is already trusted for provider ${JSON.stringify(existing.iss)}` +
          `${existing.source ? ` (from ${existing.source})` : ''}; refusing to bind it to ` +
          `${JSON.stringify(key.iss)}${key.source ? ` (from ${key.source})` : ''}`,
      );
    }
    // A later document may retire or revoke a key, but never bring a revoked key back: a stale
    // copy of the registry's JWKS must not undo a revocation made elsewhere.
    if (existing?.status === 'revoked') return;
    this.#keys.set(key.kid, key);
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
