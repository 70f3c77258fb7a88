import { compileSchema, pinKey, type Pin, type PinId, type PinStore } from '@etdi/core';
import type { Redis } from 'ioredis';
import Type from 'typebox';
import { GatewayError } from '../errors.js';

/** Options of {@link RedisPinStore}. */
export interface RedisPinStoreOptions {
  /** A connected ioredis client; the caller owns it and closes it. */
  readonly redis: Redis;
  /** Key prefix. Default `etdi:gw:`. */
  readonly prefix?: string;
}

const PinSchema = Type.Object({
  iss: Type.String(),
  sub: Type.String(),
  ver: Type.String(),
  dig: Type.String(),
  perms: Type.Array(Type.String()),
  approvedAt: Type.String(),
  kid: Type.Optional(Type.String()),
});
const validatePin = compileSchema<Pin>(PinSchema);

// Stores the pin unless one is there; returns the pin in force either way.
const SET_IF_ABSENT = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`;

// Replaces the pin only if the one in force has the expected ver and dig (compare-and-set);
// returns the pin in force afterwards, or false when there is none.
const REPLACE_IF = `
local current = redis.call('GET', KEYS[1])
if not current then return false end
local ok, pin = pcall(cjson.decode, current)
if ok and type(pin) == 'table' and pin.ver == ARGV[1] and pin.dig == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3])
  return ARGV[3]
end
return current`;

interface PinCommands {
  etdiPinSetIfAbsent(key: string, pin: string): Promise<string>;
  etdiPinReplaceIf(key: string, ver: string, dig: string, pin: string): Promise<string | null>;
}

/** Escapes the glob characters of a Redis `SCAN MATCH` pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Pins in Redis, shared by every gateway node: one JSON string per tool `(iss, sub)`, read many
 * at a time with `MGET`, first-use approval (`setIfAbsent`) and upgrades (`replaceIf`) atomic
 * in Lua scripts, so two nodes racing on one tool can never both win. Passes core's
 * `pinStoreContract`. A record that is not a pin (written by something else) is a `store-error`,
 * never a guess.
 *
 * @example
 * const pins = new RedisPinStore({ redis: new Redis('redis://127.0.0.1:6379'), prefix: 'etdi:gw:' });
 */
export class RedisPinStore implements PinStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisPinStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'etdi:gw:';
    // defineCommand loads each script once per connection (EVALSHA, falling back to EVAL).
    const commands = this.#redis as unknown as Partial<PinCommands>;
    if (!commands.etdiPinSetIfAbsent) {
      this.#redis.defineCommand('etdiPinSetIfAbsent', { numberOfKeys: 1, lua: SET_IF_ABSENT });
    }
    if (!commands.etdiPinReplaceIf) {
      this.#redis.defineCommand('etdiPinReplaceIf', { numberOfKeys: 1, lua: REPLACE_IF });
    }
  }

  #key(iss: string, sub: string): string {
    return `${this.#prefix}pin:${pinKey(iss, sub)}`;
  }

  get #commands(): PinCommands {
    return this.#redis as unknown as PinCommands;
  }

  #parse(raw: string, key: string): Pin {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw new GatewayError('store-error', `Redis key ${key} does not hold a pin (not JSON)`, {
        cause,
      });
    }
    if (!validatePin(value)) {
      throw new GatewayError(
        'store-error',
        `Redis key ${key} does not hold a pin (${validatePin.errors?.[0]?.instancePath || '/'} ${validatePin.errors?.[0]?.message ?? ''}); delete it to approve the tool again`,
      );
    }
    return value;
  }

  async get(iss: string, sub: string): Promise<Pin | undefined> {
    const key = this.#key(iss, sub);
    const raw = await this.#redis.get(key);
    return raw === null ? undefined : this.#parse(raw, key);
  }

  async getMany(ids: readonly PinId[]): Promise<Map<string, Pin>> {
    const found = new Map<string, Pin>();
    if (ids.length === 0) return found;
    const keys = ids.map((id) => this.#key(id.iss, id.sub));
    const raws = await this.#redis.mget(...keys);
    for (const [i, raw] of raws.entries()) {
      if (raw === null) continue;
      const id = ids[i]!;
      found.set(pinKey(id.iss, id.sub), this.#parse(raw, keys[i]!));
    }
    return found;
  }

  async set(pin: Pin): Promise<void> {
    await this.#redis.set(this.#key(pin.iss, pin.sub), JSON.stringify(pin));
  }

  async setIfAbsent(pin: Pin): Promise<Pin> {
    const key = this.#key(pin.iss, pin.sub);
    return this.#parse(await this.#commands.etdiPinSetIfAbsent(key, JSON.stringify(pin)), key);
  }

  async replaceIf(expected: Pick<Pin, 'ver' | 'dig'>, next: Pin): Promise<Pin | undefined> {
    const key = this.#key(next.iss, next.sub);
    const raw = await this.#commands.etdiPinReplaceIf(
      key,
      expected.ver,
      expected.dig,
      JSON.stringify(next),
    );
    return raw === null ? undefined : this.#parse(raw, key);
  }

  async delete(iss: string, sub: string): Promise<boolean> {
    return (await this.#redis.del(this.#key(iss, sub))) > 0;
  }

  async list(): Promise<Pin[]> {
    const pins: Pin[] = [];
    const match = `${globEscape(this.#prefix)}pin:*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      const raws = await this.#redis.mget(...keys);
      for (const [i, raw] of raws.entries())
        if (raw !== null) pins.push(this.#parse(raw, keys[i]!));
    } while (cursor !== '0');
    return pins;
  }
}
