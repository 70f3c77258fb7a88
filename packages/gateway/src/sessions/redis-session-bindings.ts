import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GatewayError } from '../errors.js';
import { MAX_BINDINGS_PER_PRINCIPAL } from './memory-session-bindings.js';
import type { SessionBindingStore } from './session-bindings.js';

/** Options of {@link RedisSessionBindings}. */
export interface RedisSessionBindingsOptions {
  /** A connected client; the caller closes it. */
  readonly redis: Redis;
  /**
   * Key prefix. Default `etdi:gw:`; keys are `<prefix>session:<sha256(upstream, id)>`, and per
   * principal `<prefix>sessions-of:<sha1(principal)>`.
   */
  readonly prefix?: string;
  /** How long a binding lives unused, in seconds (each `get` starts it again). */
  readonly ttlSec: number;
  /**
   * Most bindings of one principal; past it that principal's least recently used goes (never
   * another's). Default 1024.
   */
  readonly maxPerPrincipal?: number;
}

// The principal's bindings: a sorted set of binding digests scored by last use (ms). Scripts
// keep it and the bindings in step atomically; they name keys they derive (a single node).
const OWN = `local function own(prefix, principal)
  return prefix .. 'sessions-of:' .. redis.sha1hex(principal)
end
`;

// KEYS[1] binding; ARGV prefix, digest, principal, ttlSec, nowMs, maxPerPrincipal.
const SET_IF_ABSENT = `${OWN}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local set = own(ARGV[1], ARGV[3])
local ttl = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', set, '-inf', now - ttl * 1000)
local over = redis.call('ZCARD', set) - tonumber(ARGV[6]) + 1
if over > 0 then
  for _, old in ipairs(redis.call('ZRANGE', set, 0, over - 1)) do
    redis.call('DEL', ARGV[1] .. 'session:' .. old)
  end
  redis.call('ZREMRANGEBYRANK', set, 0, over - 1)
end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ttl)
redis.call('ZADD', set, now, ARGV[2])
redis.call('EXPIRE', set, ttl)
return 1
`;

// KEYS[1] binding; ARGV prefix, digest, ttlSec, nowMs. The principal, its TTL started again.
const GET = `${OWN}
local principal = redis.call('GET', KEYS[1])
if not principal then return false end
local set = own(ARGV[1], principal)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', set, ARGV[4], ARGV[2])
redis.call('EXPIRE', set, ARGV[3])
return principal
`;

// KEYS[1] binding; ARGV prefix, digest.
const DELETE = `${OWN}
local principal = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
if principal then redis.call('ZREM', own(ARGV[1], principal), ARGV[2]) end
return 1
`;

interface BindingCommands {
  etdiSessionSetIfAbsent(key: string, ...args: (string | number)[]): Promise<number>;
  etdiSessionGet(key: string, ...args: (string | number)[]): Promise<string | null>;
  etdiSessionDelete(key: string, ...args: (string | number)[]): Promise<number>;
}

/**
 * Session bindings in Redis, shared by every gateway node. Keys are SHA-256 of the upstream and
 * the session id (the id is a bearer secret for its session; it is never stored as is). Each
 * principal holds at most `maxPerPrincipal` bindings, so one caller cannot grow the store
 * without bound: past it, that caller's least recently used binding goes.
 */
export class RedisSessionBindings implements SessionBindingStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlSec: number;
  readonly #maxPerPrincipal: number;

  constructor(options: RedisSessionBindingsOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'etdi:gw:';
    this.#ttlSec = Math.max(1, options.ttlSec);
    this.#maxPerPrincipal = options.maxPerPrincipal ?? MAX_BINDINGS_PER_PRINCIPAL;
    // defineCommand loads each script once per connection (EVALSHA, falling back to EVAL).
    const commands = this.#redis as unknown as Partial<BindingCommands>;
    if (!commands.etdiSessionSetIfAbsent) {
      this.#redis.defineCommand('etdiSessionSetIfAbsent', { numberOfKeys: 1, lua: SET_IF_ABSENT });
      this.#redis.defineCommand('etdiSessionGet', { numberOfKeys: 1, lua: GET });
      this.#redis.defineCommand('etdiSessionDelete', { numberOfKeys: 1, lua: DELETE });
    }
  }

  get #commands(): BindingCommands {
    return this.#redis as unknown as BindingCommands;
  }

  #digest(upstream: string, sessionId: string): string {
    return createHash('sha256').update(upstream).update('\0').update(sessionId).digest('base64url');
  }

  async setIfAbsent(upstream: string, sessionId: string, principal: string): Promise<boolean> {
    const digest = this.#digest(upstream, sessionId);
    try {
      const r = await this.#commands.etdiSessionSetIfAbsent(
        `${this.#prefix}session:${digest}`,
        this.#prefix,
        digest,
        principal,
        this.#ttlSec,
        Date.now(),
        this.#maxPerPrincipal,
      );
      return r === 1;
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async get(upstream: string, sessionId: string): Promise<string | undefined> {
    const digest = this.#digest(upstream, sessionId);
    try {
      const principal = await this.#commands.etdiSessionGet(
        `${this.#prefix}session:${digest}`,
        this.#prefix,
        digest,
        this.#ttlSec,
        Date.now(),
      );
      return principal ?? undefined;
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async delete(upstream: string, sessionId: string): Promise<void> {
    const digest = this.#digest(upstream, sessionId);
    try {
      await this.#commands.etdiSessionDelete(
        `${this.#prefix}session:${digest}`,
        this.#prefix,
        digest,
      );
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async close(): Promise<void> {}
}

function unavailable(cause: unknown): GatewayError {
  return new GatewayError('store-error', 'session bindings: Redis is unavailable', { cause });
}
