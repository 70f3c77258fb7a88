/** A published version as served: the exact bytes, their ETag and the receipt. */
export interface CachedVersion {
  readonly body: Buffer;
  readonly etag: string;
  readonly receipt: string;
}

/**
 * An in-process cache of published versions. `(iss, sub, ver)` is immutable, so an entry never
 * goes stale and needs no invalidation across registry nodes; it is bounded in entries and bytes,
 * least recently used first out.
 */
export class VersionCache {
  readonly #entries = new Map<string, CachedVersion>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  static key(iss: string, sub: string, ver: string): string {
    return `${iss}\u0000${sub}\u0000${ver}`;
  }

  get(key: string): CachedVersion | undefined {
    const entry = this.#entries.get(key);
    if (entry) {
      // Most recently used goes last.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: CachedVersion): void {
    if (this.#maxEntries === 0 || entry.body.length > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old) {
      this.#entries.delete(key);
      this.#bytes -= old.body.length;
    }
    while (
      this.#entries.size > 0 &&
      (this.#entries.size >= this.#maxEntries || this.#bytes + entry.body.length > this.#maxBytes)
    ) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, CachedVersion];
      this.#entries.delete(oldestKey);
      this.#bytes -= oldest.body.length;
    }
    this.#entries.set(key, entry);
    this.#bytes += entry.body.length;
  }

  get size(): number {
    return this.#entries.size;
  }
}
