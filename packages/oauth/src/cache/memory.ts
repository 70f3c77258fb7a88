import type { TokenCache, TokenCacheEntry } from './types.js';

/** Options of {@link MemoryTokenCache}. */
export interface MemoryTokenCacheOptions {
  /** Most entries kept; the least recently written go first. Default 10 000. */
  readonly maxEntries?: number;
  /** Clock for the time-to-live. Default `Date.now`. */
  readonly now?: () => number;
}

interface Slot {
  readonly entry: TokenCacheEntry;
  readonly until: number;
}

/**
 * The default {@link TokenCache}: a bounded map in this process. Answers synchronously.
 *
 * @example
 * const oauth = createOAuthService({ cache: new MemoryTokenCache({ maxEntries: 1000 }) });
 */
export class MemoryTokenCache implements TokenCache {
  readonly #slots = new Map<string, Slot>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryTokenCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#slots.size;
  }

  get(key: string): TokenCacheEntry | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (this.#now() >= slot.until) {
      this.#slots.delete(key);
      return undefined;
    }
    return slot.entry;
  }

  set(key: string, entry: TokenCacheEntry, ttlMs: number): void {
    this.#slots.delete(key); // re-insert so Map order stays "least recently written first"
    if (ttlMs <= 0) return;
    this.#slots.set(key, { entry, until: this.#now() + ttlMs });
    while (this.#slots.size > this.#maxEntries) {
      const oldest = this.#slots.keys().next();
      if (oldest.done === true) break;
      this.#slots.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#slots.delete(key);
  }

  clear(): void {
    this.#slots.clear();
  }
}
