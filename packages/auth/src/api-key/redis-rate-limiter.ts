import type { Redis } from 'ioredis';
import { RedisScript } from '../redis/run-script.js';
import { AUTH_DEFAULTS } from '../config/defaults.js';
import {
  WINDOW_MS,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
  type RateWindow,
} from './rate-limiter.js';

// Check every window, then count in every window, in one atomic step: Redis runs a script
// without interleaving other commands, so concurrent gateways can never overshoot a limit.
// Windows follow Redis's clock (TIME), not the gateways': nodes whose clocks disagree still
// count in the same window. KEYS[i]: a hash of window kind i, `w` its current window index and
// `c` the count in it. ARGV[i]: its limit. ARGV[n + i]: its window length (ms).
// Returns { 0, 0 } when allowed, else { i, ms until window i starts over }.
const CONSUME = new RedisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local index, count, ends = {}, {}, {}
for i = 1, n do
  local length = tonumber(ARGV[n + i])
  index[i] = math.floor(now / length)
  ends[i] = (index[i] + 1) * length
  local stored = redis.call('HMGET', KEYS[i], 'w', 'c')
  count[i] = 0
  if stored[1] and tonumber(stored[1]) == index[i] then count[i] = tonumber(stored[2] or '0') end
  if count[i] >= tonumber(ARGV[i]) then return { i, ends[i] - now } end
end
for i = 1, n do
  redis.call('HSET', KEYS[i], 'w', string.format('%d', index[i]), 'c', count[i] + 1)
  redis.call('PEXPIRE', KEYS[i], ends[i] - now + 1000)
end
return { 0, 0 }
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
 * Windows are computed from Redis's clock (`TIME`, inside the script), not from the `now` the
 * caller passes: gateways whose clocks drift apart still share one window and one count.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisRateLimiterOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? AUTH_DEFAULTS.redis.prefix;
  }

  /** `_now` is ignored: Redis's clock decides the window. */
  async consume(
    subject: string,
    limits: readonly RateLimit[],
    _now?: number,
  ): Promise<RateDecision> {
    if (limits.length === 0) return { allowed: true };
    const keys = limits.map((l) => `${this.#prefix}rl:{${subject}}:${SHORT[l.window]}`);
    const result = (await CONSUME.run(this.#redis, keys, [
      ...limits.map((l) => l.limit),
      ...limits.map((l) => WINDOW_MS[l.window]),
    ])) as [number, number];
    const refused = Number(result[0]);
    if (refused === 0) return { allowed: true };
    const limit = limits[refused - 1]!;
    return {
      allowed: false,
      window: limit.window,
      limit: limit.limit,
      retryAfterMs: Number(result[1]),
    };
  }
}
