import { AUTH_DEFAULTS } from '../config/defaults.js';
import type { AuthSession } from './session-schema.js';
import type { SessionStore } from './session-store.js';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Clock, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Most sessions kept; the oldest are dropped first. Default 100 000. */
  maxEntries?: number;
}

/**
 * Sessions in this process's memory: the embedded default, and the reference implementation
 * the Redis store is tested against.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, AuthSession>();
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? AUTH_DEFAULTS.memory.maxSessions;
  }

  async set(session: AuthSession): Promise<void> {
    this.#sessions.delete(session.id);
    this.#sessions.set(session.id, session);
    // Map iteration order is insertion order, so the first key is the oldest session.
    while (this.#sessions.size > this.#maxEntries) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done) break;
      this.#sessions.delete(oldest.value);
    }
  }

  async get(id: string): Promise<AuthSession | undefined> {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  async delete(id: string): Promise<void> {
    this.#sessions.delete(id);
  }
}
