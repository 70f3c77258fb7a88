import type { TokenCache, TokenEntries, TokenKind } from './types.js';

/** Options of {@link MemoryTokenCache}. */
export interface MemoryTokenCacheOptions {
  /** Most entries kept of each kind; the least recently written go first. Default 10 000. */
  readonly maxEntries?: number;
  /** Clock for the time-to-live. Default `Date.now`. */
  readonly now?: () => number;
}

interface Slot<T> {
  readonly entry: T;
  readonly until: number;
}

/** A bounded map of entries that expire by a clock. */
class ExpiringMap<T> {
  readonly #slots = new Map<string, Slot<T>>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#slots.size;
  }

  get(key: string): T | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (this.#now() >= slot.until) {
      this.#slots.delete(key);
      return undefined;
    }
    return slot.entry;
  }

  set(key: string, entry: T, ttlMs: number): void {
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

/**
 * The default {@link TokenCache}: bounded maps in this process. Answers synchronously.
 *
 * @example
 * const oauth = createOAuthService({ cache: new MemoryTokenCache({ maxEntries: 1000 }) });
 */
export class MemoryTokenCache implements TokenCache {
  readonly #maps: { readonly [K in TokenKind]: ExpiringMap<TokenEntries[K]> };

  constructor(options: MemoryTokenCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    const now = options.now ?? Date.now;
    this.#maps = {
      access: new ExpiringMap(maxEntries, now),
      refresh: new ExpiringMap(maxEntries, now),
    };
  }

  /** Access token entries held (expired ones may still count until read). */
  get size(): number {
    return this.#maps.access.size;
  }

  get<K extends TokenKind>(kind: K, key: string): TokenEntries[K] | undefined {
    return this.#maps[kind].get(key);
  }

  set<K extends TokenKind>(kind: K, key: string, entry: TokenEntries[K], ttlMs: number): void {
    this.#maps[kind].set(key, entry, ttlMs);
  }

  delete(key: string, kind?: TokenKind): void {
    if (kind !== 'refresh') this.#maps.access.delete(key);
    if (kind !== 'access') this.#maps.refresh.delete(key);
  }

  clear(): void {
    this.#maps.access.clear();
    this.#maps.refresh.clear();
  }
}
