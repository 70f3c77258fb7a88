import {
  RevocationList,
  signRevocationList,
  type RevocationEntry,
  type SigningKey,
} from '@etdi/core';
import type { RegistryStore } from '../store/registry-store.js';

/** The revocation list as served. */
export interface SignedRevocations {
  readonly seq: number;
  readonly jws: string;
  readonly iat: number;
  readonly exp: number;
  readonly list: RevocationList;
}

/** Options of {@link RevocationPublisher}. */
export interface RevocationPublisherOptions {
  readonly store: RegistryStore;
  readonly key: SigningKey;
  readonly registryId: string;
  /** Lifetime of a signed list. Default 3600 (wire format §4: short). */
  readonly lifetimeSec: number;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/**
 * Signs the revocation list (wire format §4) and keeps the signed copy while it is current. The
 * sequence number lives in the store, shared by every registry node, and moves with every new
 * entry; each request checks it (one small query), so no node serves an older `seq` than the
 * store holds. The list is re-signed when it changed and when less than half its lifetime
 * remains, so a served list always has at least half an hour (by default) to live.
 */
export class RevocationPublisher {
  readonly #options: RevocationPublisherOptions;
  #current: SignedRevocations | undefined;
  #signing: Promise<SignedRevocations> | undefined;

  constructor(options: RevocationPublisherOptions) {
    this.#options = options;
  }

  /** The current signed list. */
  async current(): Promise<SignedRevocations> {
    const seq = await this.#options.store.revocationSeq();
    const held = this.#current;
    const nowSec = Math.floor(this.#options.now() / 1000);
    if (held && held.seq === seq && held.exp - nowSec > this.#options.lifetimeSec / 2) return held;
    // Join a signing in flight, unless it read the store before the sequence seen here.
    const joined = await (this.#signing ?? this.#sign());
    return joined.seq >= seq ? joined : this.#sign();
  }

  /** The current entries as a list to check definitions against (not necessarily re-signed). */
  async list(): Promise<RevocationList> {
    return (await this.current()).list;
  }

  #sign(): Promise<SignedRevocations> {
    // A burst of requests after a change shares one signing.
    const signing = this.#load().finally(() => {
      if (this.#signing === signing) this.#signing = undefined;
    });
    this.#signing = signing;
    return signing;
  }

  async #load(): Promise<SignedRevocations> {
    const { seq, entries } = await this.#options.store.revocations();
    const now = this.#options.now();
    const jws = await signRevocationList(entries, {
      key: this.#options.key,
      issuer: this.#options.registryId,
      seq,
      expiresInSec: this.#options.lifetimeSec,
      now,
    });
    const iat = Math.floor(now / 1000);
    const exp = iat + this.#options.lifetimeSec;
    const signed: SignedRevocations = {
      seq,
      jws,
      iat,
      exp,
      list: new RevocationList({
        iss: this.#options.registryId,
        seq,
        iat,
        exp,
        entries: entries as RevocationEntry[],
      }),
    };
    // Never replace a newer list with an older one read concurrently.
    if (!this.#current || this.#current.seq <= seq) this.#current = signed;
    return signed;
  }
}
