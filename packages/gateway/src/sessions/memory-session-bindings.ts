import { GATEWAY_DEFAULTS } from '../config/defaults.js';
import type { SessionBindingStore } from './session-bindings.js';

/** Bindings one principal holds at most, by default: past it, its own oldest goes. */
export const MAX_BINDINGS_PER_PRINCIPAL: number = GATEWAY_DEFAULTS.sessionsPerPrincipal;

/** Options of {@link MemorySessionBindings}. */
export interface MemorySessionBindingsOptions {
  /** How long a binding lives unused, in seconds (each `get` starts it again). */
  readonly ttlSec: number;
  /** Most bindings held; the least recently used go first past it. Default 100 000. */
  readonly maxEntries?: number;
  /**
   * Most bindings of one principal; past it that principal's least recently used goes (never
   * another's). Default {@link MAX_BINDINGS_PER_PRINCIPAL}.
   */
  readonly maxPerPrincipal?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly principal: string;
  expiresAt: number;
}

/**
 * Session bindings of one gateway process (the embedded default, without Redis). Both maps keep
 * their keys in order of last use, so the first key is the one to evict.
 */
export class MemorySessionBindings implements SessionBindingStore {
  readonly #entries = new Map<string, Entry>();
  readonly #byPrincipal = new Map<string, Set<string>>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #maxPerPrincipal: number;
  readonly #now: () => number;

  constructor(options: MemorySessionBindingsOptions) {
    this.#ttlMs = options.ttlSec * 1000;
    this.#max = options.maxEntries ?? 100_000;
    this.#maxPerPrincipal = options.maxPerPrincipal ?? MAX_BINDINGS_PER_PRINCIPAL;
    this.#now = options.now ?? Date.now;
  }

  async setIfAbsent(upstream: string, sessionId: string, principal: string): Promise<boolean> {
    const key = `${upstream}\0${sessionId}`;
    if ((await this.get(upstream, sessionId)) !== undefined) return false;
    const own = this.#byPrincipal.get(principal);
    if (own && own.size >= this.#maxPerPrincipal) {
      const oldest = own.values().next();
      if (!oldest.done) this.#remove(oldest.value);
    }
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#remove(oldest.value);
    }
    this.#entries.set(key, { principal, expiresAt: this.#now() + this.#ttlMs });
    this.#own(principal).add(key);
    return true;
  }

  async get(upstream: string, sessionId: string): Promise<string | undefined> {
    const key = `${upstream}\0${sessionId}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.#now();
    if (entry.expiresAt <= now) {
      this.#remove(key);
      return undefined;
    }
    // In use: it lives another TTL, and is the last to be evicted.
    entry.expiresAt = now + this.#ttlMs;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    const own = this.#own(entry.principal);
    own.delete(key);
    own.add(key);
    return entry.principal;
  }

  async delete(upstream: string, sessionId: string): Promise<void> {
    this.#remove(`${upstream}\0${sessionId}`);
  }

  async close(): Promise<void> {
    this.#entries.clear();
    this.#byPrincipal.clear();
  }

  #own(principal: string): Set<string> {
    let own = this.#byPrincipal.get(principal);
    if (!own) {
      own = new Set();
      this.#byPrincipal.set(principal, own);
    }
    return own;
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const own = this.#byPrincipal.get(entry.principal);
    own?.delete(key);
    if (own?.size === 0) this.#byPrincipal.delete(entry.principal);
  }
}
