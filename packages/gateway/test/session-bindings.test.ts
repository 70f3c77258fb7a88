/**
 * Session bindings under a caller who opens sessions without end: each principal holds at most
 * `maxPerPrincipal` bindings and past it loses its own least recently used one, never another
 * caller's; a binding in use lives on (`get` starts its TTL again). One contract, the memory
 * store and a real Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService, service, uniquePrefix } from '../../../testing/services.js';
import { MemorySessionBindings } from '../src/sessions/memory-session-bindings.js';
import { RedisSessionBindings } from '../src/sessions/redis-session-bindings.js';
import type { SessionBindingStore } from '../src/sessions/session-bindings.js';
import { provider, tempDir, trustJwks, writeJson } from './guard/support/fixtures.js';
import { apiKeyAuth, caller, startGateway, type RunningGateway } from './support/gateway.js';
import { INITIALIZE, postMcp } from './support/raw-mcp.js';
import { startUpstream, type TestUpstream } from './support/upstream.js';

const redisInfo = await service('redis');

function contract(make: (maxPerPrincipal: number) => SessionBindingStore): void {
  it("evicts a caller's own least recently used binding past its cap, never another's", async () => {
    const store = make(3);
    expect(await store.setIfAbsent('files', 'bob-1', 'bob')).toBe(true);
    for (const id of ['a-1', 'a-2', 'a-3']) {
      expect(await store.setIfAbsent('files', id, 'alice')).toBe(true);
    }
    // a-1 in use: a-2 is now alice's least recently used.
    expect(await store.get('files', 'a-1')).toBe('alice');
    expect(await store.setIfAbsent('files', 'a-4', 'alice')).toBe(true);
    expect(await store.get('files', 'a-2')).toBeUndefined();
    for (const id of ['a-1', 'a-3', 'a-4']) expect(await store.get('files', id)).toBe('alice');
    expect(await store.get('files', 'bob-1')).toBe('bob');
  });

  it("a caller binding 300 sessions keeps at most its cap and leaves others' in place", async () => {
    const store = make(5);
    await store.setIfAbsent('files', 'bob-1', 'bob');
    for (let i = 0; i < 300; i++) await store.setIfAbsent(`u${i % 3}`, `flood-${i}`, 'mallory');
    let held = 0;
    for (let i = 0; i < 300; i++)
      if ((await store.get(`u${i % 3}`, `flood-${i}`)) === 'mallory') held++;
    expect(held).toBe(5);
    expect(await store.get('files', 'bob-1')).toBe('bob');
  });

  it('delete forgets a binding, and frees its place in the quota', async () => {
    const store = make(1);
    await store.setIfAbsent('files', 'a-1', 'alice');
    await store.delete('files', 'a-1');
    expect(await store.get('files', 'a-1')).toBeUndefined();
    expect(await store.setIfAbsent('files', 'a-2', 'alice')).toBe(true);
    expect(await store.setIfAbsent('files', 'a-2', 'bob')).toBe(false);
    expect(await store.get('files', 'a-2')).toBe('alice');
  });
}

describe('MemorySessionBindings', () => {
  contract((maxPerPrincipal) => new MemorySessionBindings({ ttlSec: 3600, maxPerPrincipal }));

  it("keeps another caller's binding when the flood fills maxEntries", async () => {
    const store = new MemorySessionBindings({ ttlSec: 3600, maxEntries: 10, maxPerPrincipal: 5 });
    await store.setIfAbsent('files', 'bob-1', 'bob');
    for (let i = 0; i < 300; i++) await store.setIfAbsent('files', `flood-${i}`, 'mallory');
    expect(await store.get('files', 'bob-1')).toBe('bob');
  });

  it('starts the TTL again on each get', async () => {
    let now = 0;
    const store = new MemorySessionBindings({ ttlSec: 10, now: () => now });
    await store.setIfAbsent('files', 's', 'alice');
    now = 8_000;
    expect(await store.get('files', 's')).toBe('alice');
    now = 16_000;
    expect(await store.get('files', 's')).toBe('alice');
    now = 26_001;
    expect(await store.get('files', 's')).toBeUndefined();
  });
});

describeWithService(redisInfo, 'RedisSessionBindings', () => {
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(() => {
    redis = new Redis(redisInfo.url);
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  function make(
    maxPerPrincipal: number,
    ttlSec = 3600,
  ): { store: RedisSessionBindings; prefix: string } {
    const prefix = uniquePrefix('bindings');
    prefixes.push(prefix);
    return { store: new RedisSessionBindings({ redis, prefix, ttlSec, maxPerPrincipal }), prefix };
  }

  contract((max) => make(max).store);

  it('holds a bounded number of keys however many sessions one caller binds', async () => {
    const { store, prefix } = make(5);
    await store.setIfAbsent('files', 'bob-1', 'bob');
    for (let i = 0; i < 100; i++) await store.setIfAbsent('files', `flood-${i}`, 'mallory');
    expect(await redis.keys(`${prefix}session:*`)).toHaveLength(6);
    expect(await redis.keys(`${prefix}sessions-of:*`)).toHaveLength(2);
  });

  it('starts the TTL again on each get', async () => {
    const { store, prefix } = make(5, 600);
    await store.setIfAbsent('files', 's', 'alice');
    const [key] = await redis.keys(`${prefix}session:*`);
    // As if it had aged: a get gives it its whole TTL again.
    await redis.expire(key!, 5);
    expect(await store.get('files', 's')).toBe('alice');
    expect(await redis.ttl(key!)).toBeGreaterThan(5);
  });
});

describe('sessions.maxPerPrincipal on a running gateway', () => {
  const alice = caller('alice');
  const bob = caller('bob');
  let upstream: TestUpstream;
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
    upstream = await startUpstream([], { json: true });
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice, bob),
        trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
        sessions: { maxPerPrincipal: 2 },
        upstreams: { up: { url: upstream.url.href, providers: ['com.acme'], protocol: 'session' } },
      },
      {},
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await dir?.cleanup();
  });

  const ping = (key: string, session: string) =>
    postMcp(gateway.mcpUrl('up'), key, { id: 2, method: 'ping' }, session);

  it("a caller's third session ends its own first one, never another caller's", async () => {
    const open = async (key: string) =>
      (await postMcp(gateway.mcpUrl('up'), key, INITIALIZE)).headers.get('mcp-session-id')!;
    const bobs = await open(bob.key);
    const first = await open(alice.key);
    const second = await open(alice.key);
    expect((await ping(alice.key, first)).status).toBe(200);
    // `first` was just used, so `second` is alice's least recently used binding.
    await open(alice.key);
    expect((await ping(alice.key, second)).status).toBe(404);
    expect((await ping(alice.key, first)).status).toBe(200);
    expect((await ping(bob.key, bobs)).status).toBe(200);
  }, 60_000);
});
