import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/run-script.js';
import {
  windowAt,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
  type RateWindow,
} from './rate-limiter.js';

// Check every window, then count in every window, in one atomic step: Redis runs a script
// without interleaving other commands, so concurrent gateways can never overshoot a limit.
// KEYS[i]: counter of window i. ARGV[i]: its limit. ARGV[n + i]: its time to live (ms).
const CONSUME = new RedisScript(`
local n = #KEYS
for i = 1, n do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(ARGV[i]) then return i end
end
for i = 1, n do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[n + i]) end
end
return 0
`);

const SHORT: Record<RateWindow, string> = { minute: 'm', hour: 'h', day: 'd' };

/** Options of {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** A connected ioredis client; the caller owns it and closes it. */
  redis: Redis;
  /** Key prefix. Default `etdi:auth:`. */
  prefix?: string;
}

/**
 * Rate-limit counters in Redis, shared by every gateway process: one Lua script per request
 * (one round trip) checks and counts all windows atomically. Counter keys carry a hash tag on
 * the subject, so all of one key's windows live in one Redis Cluster slot.
 *
 * Windows are computed from the caller's clock; keep gateway clocks in sync (NTP).
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisRateLimiterOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'etdi:auth:';
  }

  async consume(subject: string, limits: readonly RateLimit[], now: number): Promise<RateDecision> {
    if (limits.length === 0) return { allowed: true };
    const windows = limits.map((limit) => ({ limit, ...windowAt(limit.window, now) }));
    const keys = windows.map(
      (w) => `${this.#prefix}rl:{${subject}}:${SHORT[w.limit.window]}:${w.index}`,
    );
    // A little past the window's end, so a slow clock never sees a counter vanish early.
    const ttls = windows.map((w) => Math.max(1, w.endsAt - now) + 1_000);
    const result = await CONSUME.run(this.#redis, keys, [
      ...windows.map((w) => w.limit.limit),
      ...ttls,
    ]);
    const refused = Number(result);
    if (refused === 0) return { allowed: true };
    const w = windows[refused - 1]!;
    return {
      allowed: false,
      window: w.limit.window,
      limit: w.limit.limit,
      retryAfterMs: w.endsAt - now,
    };
  }
}
