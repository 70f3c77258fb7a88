import type { SessionBindingStore } from './session-bindings.js';

/** Options of {@link MemorySessionBindings}. */
export interface MemorySessionBindingsOptions {
  /** How long a binding lives, in seconds. */
  readonly ttlSec: number;
  /** Most bindings held; the oldest go first past it. Default 100 000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** Session bindings of one gateway process (the embedded default, without Redis). */
export class MemorySessionBindings implements SessionBindingStore {
  readonly #entries = new Map<string, { principal: string; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: MemorySessionBindingsOptions) {
    this.#ttlMs = options.ttlSec * 1000;
    this.#max = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  async setIfAbsent(upstream: string, sessionId: string, principal: string): Promise<boolean> {
    const key = `${upstream}\0${sessionId}`;
    if ((await this.get(upstream, sessionId)) !== undefined) return false;
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { principal, expiresAt: this.#now() + this.#ttlMs });
    return true;
  }

  async get(upstream: string, sessionId: string): Promise<string | undefined> {
    const key = `${upstream}\0${sessionId}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  async delete(upstream: string, sessionId: string): Promise<void> {
    this.#entries.delete(`${upstream}\0${sessionId}`);
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
