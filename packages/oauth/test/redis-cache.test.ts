import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, expect, it, describe } from 'vitest';
import {
  RedisTokenCache,
  createOAuthService,
  type OAuthServiceOptions,
  type TokenCache,
} from '@etdi/oauth';
import { describeWithService, service, uniquePrefix } from '../../../testing/services.js';
import { CapturingLogger, ManualClock, clientCredentials } from './support/harness.js';
import { TestOAuthServer } from './support/oauth-server.js';
import { sampleEntry, tokenCacheContract } from './support/token-cache-contract.js';

const redisInfo = await service('redis');
const KEY = Buffer.alloc(32, 7).toString('base64');
const OTHER_KEY = 'a'.repeat(64); // hex

describe('RedisTokenCache options', () => {
  it('needs a client or a URL', () => {
    expect(() => new RedisTokenCache({ encryptionKey: KEY })).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
  });

  it('refuses a key that is not 32 bytes, without echoing it', () => {
    for (const encryptionKey of [
      'correct horse battery staple',
      Buffer.alloc(16).toString('hex'),
    ]) {
      let thrown: unknown;
      try {
        new RedisTokenCache({ url: 'redis://127.0.0.1:1', encryptionKey });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'invalid-argument' });
      expect((thrown as Error).message).not.toContain(encryptionKey);
    }
  });
});

describeWithService(redisInfo, 'RedisTokenCache', () => {
  const prefix = uniquePrefix('oauth-cache');
  let redis: Redis;
  let server: TestOAuthServer;
  const caches: RedisTokenCache[] = [];

  function cache(encryptionKey = KEY, previousKeys: string[] = []): RedisTokenCache {
    const made = new RedisTokenCache({ redis, keyPrefix: prefix, encryptionKey, previousKeys });
    caches.push(made);
    return made;
  }

  function oauthWith(c: TokenCache, options: OAuthServiceOptions = {}) {
    return createOAuthService({ cache: c, ...options });
  }

  /** Redis's own clock, in ms (what `PX` deadlines are set by). */
  async function redisNow(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Runs `action` between two readings of Redis's clock. */
  async function bracketedByRedisTime(action: () => Promise<unknown>) {
    const before = await redisNow();
    await action();
    return { before, after: await redisNow() };
  }

  /** The absolute deadline (Redis clock, ms) of a key: independent of how long the test took. */
  async function expireTime(key: string): Promise<number> {
    return Number(await redis.call('PEXPIRETIME', key));
  }

  /** `inner`, with a promise that resolves once `count` reads have been answered. */
  function countingReads(inner: TokenCache, count: number) {
    let reads = 0;
    let allRead!: () => void;
    const done = new Promise<void>((resolve) => {
      allRead = resolve;
    });
    const wrapped: TokenCache = {
      get: async (key) => {
        const entry = await inner.get(key);
        if (++reads === count) allRead();
        return entry;
      },
      set: (key, entry, ttlMs) => inner.set(key, entry, ttlMs),
      delete: (key) => inner.delete(key),
    };
    return { cache: wrapped, done };
  }

  beforeAll(async () => {
    redis = new Redis(redisInfo.url);
    server = await TestOAuthServer.start();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await Promise.all(caches.map((c) => c.close()));
    await redis.quit();
    await server.close();
  });
  beforeEach(() => server.reset());

  tokenCacheContract('RedisTokenCache', async () => {
    const owned = new RedisTokenCache({
      url: redisInfo.url,
      keyPrefix: `${prefix}contract:`,
      encryptionKey: KEY,
    });
    return { cache: owned, cleanup: () => owned.close() };
  });

  it('stores tokens encrypted, never in clear', async () => {
    server.settings.issueRefreshTokens = true;
    const c = cache();
    const oauth = oauthWith(c);
    const { token } = await oauth.getAccessToken('upstream', clientCredentials(server));
    const keys = await redis.keys(`${prefix}*upstream*`);
    expect(keys).toHaveLength(1);
    const raw = (await redis.get(keys[0]!))!;
    expect(raw).toMatch(
      /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/,
    );
    expect(raw.split('.')[1]).toBe(c.keyId);
    expect(raw).not.toContain(token!.value);
    expect(raw).not.toContain('rt-');
    expect(raw).not.toContain('Bearer');
    expect(Buffer.from(raw.split('.')[4]!, 'base64url').toString('latin1')).not.toContain(
      token!.value,
    );
  });

  it('seals each entry with a fresh IV', async () => {
    const c = cache();
    const entry = sampleEntry();
    await c.set('iv:a', entry, 60_000);
    const first = await redis.get(c.redisKey('iv:a'));
    await c.set('iv:a', entry, 60_000);
    const second = await redis.get(c.redisKey('iv:a'));
    expect(first!.split('.')[2]).not.toBe(second!.split('.')[2]);
  });

  it('expires entries with the token', async () => {
    const clock = new ManualClock();
    const oauth = oauthWith(cache(), { now: clock.now });
    server.settings.expiresIn = 120;
    const { before, after } = await bracketedByRedisTime(() =>
      oauth.getAccessToken('ttl-upstream', clientCredentials(server)),
    );
    const [key] = await redis.keys(`${prefix}*ttl-upstream*`);
    // The service clock stands still, so it asked for exactly 120 s; Redis set the deadline
    // from its own clock at the SET, which lies between the two readings of it.
    const expireAt = await expireTime(key!);
    expect(expireAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(expireAt).toBeLessThanOrEqual(after + 120_000);
  });

  it('is shared by two service instances', async () => {
    const config = clientCredentials(server);
    const a = oauthWith(cache());
    const b = oauthWith(cache());
    const fromA = await a.getAccessToken('shared', config, { projectId: 'p' });
    const fromB = await b.getAccessToken('shared', config, { projectId: 'p' });
    expect(fromB.token!.value).toBe(fromA.token!.value);
    expect(server.tokenRequests).toHaveLength(1);
    expect(b.metrics.snapshot().cache.hits).toBe(1);
  });

  it('treats an entry under another key as a miss and replaces it', async () => {
    const config = clientCredentials(server);
    const writer = oauthWith(cache());
    const first = await writer.getAccessToken('rekeyed', config);
    const logger = new CapturingLogger();
    const reader = oauthWith(cache(OTHER_KEY), { logger });
    const second = await reader.getAccessToken('rekeyed', config);
    expect(second.token).toBeDefined();
    expect(second.token!.value).not.toBe(first.token!.value);
    expect(server.tokenRequests).toHaveLength(2);
    const warning = logger.lines.find((l) => l.fields.code === 'cache-error')!;
    expect(warning.level).toBe('warn');
    expect(String(warning.fields.reason)).toContain('cannot be decrypted');
    // The reader overwrote the entry under its own key: it hits from now on.
    expect((await reader.getAccessToken('rekeyed', config)).token!.value).toBe(second.token!.value);
    expect(server.tokenRequests).toHaveLength(2);
  });

  it('opens entries sealed under a previous key during rotation', async () => {
    const entry = sampleEntry();
    await cache(KEY).set('rotate', entry, 60_000);
    const rotated = cache(OTHER_KEY, [KEY]);
    expect(await rotated.get('rotate')).toEqual(entry);
    await rotated.set('rotate', entry, 60_000);
    expect((await redis.get(rotated.redisKey('rotate')))!.split('.')[1]).toBe(rotated.keyId);
  });

  it('refuses an entry copied under another cache key', async () => {
    const c = cache();
    await c.set('origin', sampleEntry(), 60_000);
    await redis.set(c.redisKey('copy'), (await redis.get(c.redisKey('origin')))!, 'PX', 60_000);
    await expect(c.get('copy')).rejects.toMatchObject({ code: 'cache-error' });
  });

  it('refuses a tampered entry', async () => {
    const c = cache();
    await c.set('tampered', sampleEntry(), 60_000);
    const raw = (await redis.get(c.redisKey('tampered')))!;
    const parts = raw.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    await redis.set(c.redisKey('tampered'), parts.join('.'), 'PX', 60_000);
    await expect(c.get('tampered')).rejects.toMatchObject({ code: 'cache-error' });
  });

  it('makes one token request for 100 concurrent cold calls', async () => {
    // Every lookup misses Redis before the one acquisition is allowed to finish: no timing.
    const counted = countingReads(cache(), 100);
    const gate = server.holdTokenAnswers();
    const oauth = oauthWith(counted.cache);
    const config = clientCredentials(server);
    const calls = Array.from({ length: 100 }, () => oauth.getAccessToken('stampede', config));
    await counted.done;
    await server.receivedTokenRequests(1);
    gate.release();
    const results = await Promise.all(calls);
    expect(oauth.metrics.snapshot().cache.misses).toBe(100);
    expect(server.tokenRequests).toHaveLength(1);
    expect(new Set(results.map((r) => r.token?.value)).size).toBe(1);
  });

  it('clears the shared entry on revocation', async () => {
    const config = clientCredentials(server);
    const a = oauthWith(cache());
    const b = oauthWith(cache());
    const { token } = await a.getAccessToken('revoked', config);
    await a.revoke('revoked', config);
    const fromB = await b.getAccessToken('revoked', config);
    expect(fromB.token!.value).not.toBe(token!.value);
  });
});
