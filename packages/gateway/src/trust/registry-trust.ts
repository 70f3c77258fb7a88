import {
  readSignedCopy,
  TrustStore,
  verifyRevocationList,
  type Logger,
  type RevocationList,
  type SignedCopy,
} from '@etdi/core';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { GatewayError } from '../errors.js';
import type { GuardMetrics } from '../guard/guard-metrics.js';
import { isRecord } from '../guard/list-message.js';
import type { AttestationLookups } from '../guard/verifying-guard.js';
import { parseJsonDocument } from './json-document.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryContribution, RemoteTrust } from './trust-sources.js';

/** The `typ` of a registry receipt (`ETDI-Receipt`). */
const RECEIPT_TYPE = 'etdi-receipt+jwt';
/** Answers kept per kind of look-up; the least recently stored go first. */
const CACHE_ENTRIES = 20_000;

export interface RegistryTrustOptions {
  readonly url: string;
  readonly refreshIntervalSec: number;
  readonly maxStalenessSec: number;
  readonly clockToleranceSec: number;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: GuardMetrics;
  /** Per request. Default 10 s. */
  readonly timeoutMs?: number;
}

/** A look-up answer and until when it may be relied on (epoch ms; Infinity: immutable). */
interface Cached<T> {
  readonly value: T;
  readonly until: number;
}

/** A bounded map of answers that knows how long each may be relied on. */
class AnswerCache<T> {
  readonly #entries = new Map<string, Cached<T>>();
  get(key: string, nowMs: number): T | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (nowMs >= hit.until) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit.value;
  }
  set(key: string, value: T, until: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, until });
    if (this.#entries.size > CACHE_ENTRIES) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }
}

type ReceiptAnswer = 'ok' | 'missing' | 'other-digest';

const seg = encodeURIComponent;

/**
 * The registry as a trust source (DESIGN.md, "Registry HTTP API"): its trust JWKS and its signed
 * revocation list, refreshed every `refreshInterval` with `If-None-Match` (the list verified with
 * core's `verifyRevocationList` against the registry's own key from `/.well-known/etdi-registry`,
 * never going back to a lower `seq`); and, on demand, attested copies by digest
 * (`GET /v1/digests/{dig}`, immutable per copy: cached), versions of a tool, and receipts.
 * Past `maxStaleness` without a successful refresh, or once the list is past its `exp`,
 * {@link problem} says why and the guard fails closed.
 */
export class RegistryTrust implements RemoteTrust, AttestationLookups {
  readonly #o: RegistryTrustOptions;
  readonly #client: RegistryClient;
  #registryId: string | undefined;
  #registryKeys: TrustStore | undefined;
  readonly #etags = new Map<string, string>();
  #jwks: unknown;
  #revocations: RevocationList | undefined;
  #contribution: RegistryContribution | undefined;
  #lastSuccessMs: number | undefined;
  #lastError: string | undefined;
  #changed: (() => Promise<boolean>) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<boolean> | undefined;
  readonly #copies = new AnswerCache<readonly SignedCopy[]>();
  readonly #versions = new AnswerCache<boolean>();
  readonly #receipts = new AnswerCache<ReceiptAnswer>();
  /** Receipts that came with digest answers, by `iss/name@ver`, verified when asked for. */
  readonly #receiptJws = new AnswerCache<string>();
  readonly #inflight = new Map<string, Promise<unknown>>();

  readonly origin: string;
  readonly negativeTtlSec: number;

  constructor(options: RegistryTrustOptions) {
    this.#o = options;
    this.#client = new RegistryClient({ url: options.url, timeoutMs: options.timeoutMs ?? 10_000 });
    this.origin = `the registry at ${options.url}`;
    // "Not there" may change when something is published: asked again after one refresh interval.
    this.negativeTtlSec = options.refreshIntervalSec;
  }

  // ------------------------------------------------------------ RemoteTrust

  current(): RegistryContribution | undefined {
    return this.#contribution;
  }

  problem(nowMs: number): string | undefined {
    const why = this.#lastError ? ` (last error: ${this.#lastError})` : '';
    if (this.#lastSuccessMs === undefined) {
      return `trust is not loaded: ${this.origin} has not been reached yet${why}`;
    }
    if (nowMs - this.#lastSuccessMs > this.#o.maxStalenessSec * 1000) {
      return `${this.origin} has not been refreshed since ${new Date(this.#lastSuccessMs).toISOString()}, longer than trust.registry.maxStaleness (${this.#o.maxStalenessSec} s)${why}`;
    }
    const list = this.#revocations;
    if (list && list.isExpired(Math.floor(nowMs / 1000), this.#o.clockToleranceSec)) {
      return `the revocation list (seq ${list.seq}) expired at ${new Date(list.expiresAt * 1000).toISOString()} and ${this.origin} has not sent a newer one${why}`;
    }
    return undefined;
  }

  async start(changed: () => Promise<boolean>): Promise<void> {
    this.#changed = changed;
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#o.refreshIntervalSec * 1000);
    this.#timer.unref();
  }

  refresh(): Promise<boolean> {
    // One refresh at a time: a slow registry never piles up requests.
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#refreshing?.catch(() => undefined);
    await this.#client.close();
  }

  async #refresh(): Promise<boolean> {
    const count = (source: string, result: string) =>
      this.#o.metrics.trustRefreshes.inc({ source, result });
    try {
      // Nothing is kept (not even an ETag) until every document was accepted: a bad answer must
      // be asked for again, never turn into a 304 that counts as a fresh refresh.
      const etags = new Map<string, string | undefined>();
      const discovery = await this.#fetch('/.well-known/etdi-registry', etags);
      const own = discovery === undefined ? undefined : await this.#registryOf(discovery);
      const registryId = own?.id ?? this.#registryId!;
      const registryKeys = own?.keys ?? this.#registryKeys!;
      const jwks = await this.#fetch('/.well-known/jwks.json', etags);
      if (jwks !== undefined) await TrustStore.fromJwks(jwks); // refuses a bad document
      const jws = await this.#fetch('/v1/revocations', etags);
      const list =
        jws === undefined
          ? this.#revocations
          : await verifyRevocationList(jws as string, {
              trust: registryKeys,
              issuer: registryId,
              now: this.#o.now(),
              clockToleranceSec: this.#o.clockToleranceSec,
              ...(this.#revocations ? { current: this.#revocations } : {}),
            });
      const listChanged =
        list !== undefined &&
        (list.seq !== this.#revocations?.seq || list.expiresAt !== this.#revocations.expiresAt);
      this.#registryId = registryId;
      this.#registryKeys = registryKeys;
      for (const [path, etag] of etags) {
        if (etag === undefined) this.#etags.delete(path);
        else this.#etags.set(path, etag);
      }
      if (jwks !== undefined) this.#jwks = jwks;
      this.#revocations = list;
      this.#lastSuccessMs = this.#o.now();
      this.#lastError = undefined;
      const changed = jwks !== undefined || listChanged;
      count('registry', changed ? 'updated' : 'unchanged');
      if (!changed) return false;
      this.#contribution = {
        jwks: this.#jwks,
        source: this.#o.url,
        revocations: this.#revocations,
      };
      return (await this.#changed?.()) ?? true;
    } catch (e) {
      this.#lastError = (e as Error).message;
      count('registry', 'failed');
      this.#o.logger.warn(
        { registry: this.#o.url, error: this.#lastError },
        'registry trust not refreshed; keeping the trust in force until maxStaleness',
      );
      return false;
    }
  }

  /**
   * A document from the registry (200: JSON, or the JWS text of the revocation list), or
   * `undefined` when it did not change (304). Its ETag goes into `etags`, kept by the caller
   * once the whole refresh succeeded.
   */
  async #fetch(path: string, etags: Map<string, string | undefined>): Promise<unknown> {
    const answer = await this.#client.get(path, this.#etags.get(path));
    if (answer.status === 304 && this.#etags.has(path)) return undefined;
    if (answer.status !== 200) {
      throw new GatewayError(
        'trust-unavailable',
        `GET ${this.#o.url}${path} answered ${answer.status}`,
      );
    }
    etags.set(path, answer.etag);
    if (path === '/v1/revocations') return answer.body.trim();
    const doc = parseJsonDocument(answer.body, `${this.#o.url}${path}`);
    if (!doc.ok) throw new GatewayError('trust-unavailable', doc.error);
    return doc.value;
  }

  /** The registry's id and own keys from `/.well-known/etdi-registry`. */
  async #registryOf(doc: unknown): Promise<{ id: string; keys: TrustStore }> {
    if (!isRecord(doc) || typeof doc.id !== 'string' || !isRecord(doc.keys)) {
      throw new GatewayError(
        'trust-unavailable',
        `${this.#o.url}/.well-known/etdi-registry is not a registry document ({ "id", "keys", ... })`,
      );
    }
    if (this.#registryId !== undefined && doc.id !== this.#registryId) {
      throw new GatewayError(
        'trust-unavailable',
        `the registry at ${this.#o.url} now calls itself ${JSON.stringify(doc.id)}, not ${JSON.stringify(this.#registryId)}; restart the gateway if that is intended`,
      );
    }
    const keys = await TrustStore.fromJwks(doc.keys);
    // The registry's own keys narrow too: a stale document never revives a revoked key.
    const kept = [...(this.#registryKeys?.keys() ?? [])]
      .filter((k) => keys.get(k.kid))
      .map((k) => k.jwk);
    if (kept.length > 0) await keys.addJwks({ keys: kept });
    return { id: doc.id, keys };
  }

  // ------------------------------------------------------------ AttestationLookups

  /** One request per key at a time; later askers share the answer. */
  #once<T>(key: string, ask: () => Promise<T>): Promise<T> {
    let running = this.#inflight.get(key) as Promise<T> | undefined;
    if (!running) {
      running = ask().finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, running);
    }
    return running;
  }

  #lookup<T>(
    kind: string,
    cache: AnswerCache<T>,
    key: string,
    ask: () => Promise<Cached<T>>,
  ): Promise<T> {
    const now = this.#o.now();
    const hit = cache.get(key, now);
    if (hit !== undefined) {
      this.#o.metrics.registryLookups.inc({ kind, result: 'hit' });
      return Promise.resolve(hit);
    }
    return this.#once(`${kind}\u0000${key}`, async () => {
      try {
        const answer = await ask();
        cache.set(key, answer.value, answer.until);
        this.#o.metrics.registryLookups.inc({ kind, result: 'fetch' });
        return answer.value;
      } catch (e) {
        this.#o.metrics.registryLookups.inc({ kind, result: 'error' });
        throw e;
      }
    });
  }

  #negativeUntil(): number {
    return this.#o.now() + this.negativeTtlSec * 1000;
  }

  copies(dig: string): Promise<readonly SignedCopy[]> {
    return this.#lookup('digest', this.#copies, dig, async () => {
      const path = `/v1/digests/${seg(dig)}`;
      const answer = await this.#client.get(path);
      if (answer.status === 404) return { value: [], until: this.#negativeUntil() };
      if (answer.status !== 200) {
        throw new GatewayError(
          'trust-unavailable',
          `GET ${this.#o.url}${path} answered ${answer.status}`,
        );
      }
      const doc = parseJsonDocument(answer.body, `${this.#o.url}${path}`);
      if (!doc.ok || !isRecord(doc.value) || !Array.isArray(doc.value.tools)) {
        throw new GatewayError(
          'trust-unavailable',
          `${this.#o.url}${path} is not a digest answer ({ "tools": [...] })`,
        );
      }
      const receipts = Array.isArray(doc.value.receipts) ? doc.value.receipts : [];
      const copies: SignedCopy[] = [];
      for (const [i, tool] of doc.value.tools.entries()) {
        const read = readSignedCopy(tool, this.#o.url);
        // Content-addressed: a copy whose content is not this digest is not a copy of it.
        if (!read.ok || read.copy.dig !== dig) continue;
        copies.push(read.copy);
        const receipt = receipts[i];
        if (typeof receipt === 'string') {
          this.#receiptJws.set(
            receiptKey(read.copy.iss, read.copy.sub, read.copy.ver),
            receipt,
            Infinity,
          );
        }
      }
      // Each copy is immutable, but the set grows when the same content is published again.
      return { value: copies, until: copies.length > 0 ? Infinity : this.#negativeUntil() };
    });
  }

  hasVersions(iss: string, name: string): Promise<boolean> {
    return this.#lookup('versions', this.#versions, `${iss}\u0000${name}`, async () => {
      const path = `/v1/tools/${seg(iss)}/${seg(name)}`;
      const answer = await this.#client.get(path);
      if (answer.status === 404) return { value: false, until: this.#negativeUntil() };
      if (answer.status !== 200) {
        throw new GatewayError(
          'trust-unavailable',
          `GET ${this.#o.url}${path} answered ${answer.status}`,
        );
      }
      const doc = parseJsonDocument(answer.body, `${this.#o.url}${path}`);
      const versions = doc.ok && isRecord(doc.value) ? doc.value.versions : undefined;
      const known = Array.isArray(versions) && versions.length > 0;
      // Versions are never removed (a yanked one stays listed): "yes" stays true.
      return { value: known, until: known ? Infinity : this.#negativeUntil() };
    });
  }

  receipt(iss: string, name: string, ver: string, dig: string): Promise<ReceiptAnswer> {
    const key = receiptKey(iss, name, ver);
    return this.#lookup('receipt', this.#receipts, `${key}\u0000${dig}`, async () => {
      let jws = this.#receiptJws.get(key, this.#o.now());
      if (jws === undefined) {
        const path = `/v1/tools/${seg(iss)}/${seg(name)}/${seg(ver)}`;
        const answer = await this.#client.get(path);
        if (answer.status === 404) return { value: 'missing', until: this.#negativeUntil() };
        if (answer.status !== 200) {
          throw new GatewayError(
            'trust-unavailable',
            `GET ${this.#o.url}${path} answered ${answer.status}`,
          );
        }
        jws = answer.receipt;
      }
      const claims = jws === undefined ? undefined : await this.#verifyReceipt(jws);
      if (!claims || claims.sub !== key) return { value: 'missing', until: this.#negativeUntil() };
      // (iss, sub, ver) is immutable at the registry: either answer holds forever.
      return { value: claims.dig === dig ? 'ok' : 'other-digest', until: Infinity };
    });
  }

  /** The claims of a receipt signed by the registry's own key, or `undefined` (logged). */
  async #verifyReceipt(jws: string): Promise<Record<string, unknown> | undefined> {
    try {
      const header = decodeProtectedHeader(jws);
      const key = typeof header.kid === 'string' ? this.#registryKeys?.get(header.kid) : undefined;
      if (
        !key ||
        header.typ !== RECEIPT_TYPE ||
        key.iss !== this.#registryId ||
        key.status === 'revoked'
      ) {
        throw new Error(
          `not a receipt of registry ${JSON.stringify(this.#registryId)} (kid ${String(header.kid)})`,
        );
      }
      const { payload } = await compactVerify(jws, key.key, { algorithms: [key.alg] });
      const claims: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
      if (!isRecord(claims) || claims.iss !== this.#registryId)
        throw new Error('its "iss" is not the registry');
      return claims;
    } catch (e) {
      this.#o.logger.warn(
        { registry: this.#o.url, error: (e as Error).message },
        'registry receipt refused',
      );
      return undefined;
    }
  }
}

function receiptKey(iss: string, name: string, ver: string): string {
  return `${iss}/${name}@${ver}`;
}
