import type { JtiRevocationStore } from './jti-revocation-store.js';

/** Options of {@link MemoryJtiRevocationStore}. */
export interface MemoryJtiRevocationStoreOptions {
  /** Clock, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** Revoked `jti`s in this process's memory; expired entries are swept as new ones arrive. */
export class MemoryJtiRevocationStore implements JtiRevocationStore {
  readonly #revoked = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: MemoryJtiRevocationStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async set(jti: string, expiresAt: number): Promise<void> {
    const now = this.#now();
    if (expiresAt <= now) return;
    this.#revoked.set(jti, Math.max(expiresAt, this.#revoked.get(jti) ?? 0));
    if (this.#revoked.size % 1024 === 0) {
      for (const [id, until] of this.#revoked) if (until <= now) this.#revoked.delete(id);
    }
  }

  async get(jti: string): Promise<number | undefined> {
    const until = this.#revoked.get(jti);
    return until !== undefined && until > this.#now() ? until : undefined;
  }
}
