import { AUTH_DEFAULTS } from '../config/defaults.js';
import { windowAt, type RateDecision, type RateLimit, type RateLimiter } from './rate-limiter.js';

/** Options of {@link MemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /** Counters kept before expired ones are swept. Default 100 000. */
  maxCounters?: number;
}

/**
 * Rate-limit counters in this process. Correct for one gateway process; several processes need
 * {@link RedisRateLimiter} so they share one count.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #counters = new Map<string, { count: number; endsAt: number }>();
  readonly #maxCounters: number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.#maxCounters = options.maxCounters ?? AUTH_DEFAULTS.memory.maxRateCounters;
  }

  async consume(subject: string, limits: readonly RateLimit[], now: number): Promise<RateDecision> {
    const slots = limits.map((limit) => {
      const { index, endsAt } = windowAt(limit.window, now);
      const key = `${subject}\u0000${limit.window}\u0000${index}`;
      const counter = this.#counters.get(key);
      return { limit, key, endsAt, count: counter && counter.endsAt > now ? counter.count : 0 };
    });
    // JavaScript runs this check-then-increment without interleaving: no await in between.
    for (const slot of slots) {
      if (slot.count >= slot.limit.limit) {
        return {
          allowed: false,
          window: slot.limit.window,
          limit: slot.limit.limit,
          retryAfterMs: slot.endsAt - now,
        };
      }
    }
    for (const slot of slots) {
      this.#counters.set(slot.key, { count: slot.count + 1, endsAt: slot.endsAt });
    }
    if (this.#counters.size > this.#maxCounters) this.#sweep(now);
    return { allowed: true };
  }

  #sweep(now: number): void {
    for (const [key, counter] of this.#counters) {
      if (counter.endsAt <= now) this.#counters.delete(key);
    }
  }
}
