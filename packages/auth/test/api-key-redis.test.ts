import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKeyProvider, AuthCredentials, RedisApiKeyStore, RedisRateLimiter } from '@etdi/auth';
import type { Redis } from 'ioredis';
import { describeWithService, service, uniquePrefix } from '../../../testing/services.js';
import { testClock } from './support/clock.js';
import { rateLimiterContract } from './support/rate-limiter-contract.js';
import { deleteByPrefix, testRedis } from './support/redis.js';

const redisInfo = await service('redis');
const prefix = uniquePrefix('auth-apikey');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const worker = fileURLToPath(new URL('./support/rate-limit-worker.ts', import.meta.url));

describeWithService(redisInfo, 'API keys on Redis', () => {
  let redis: Redis;
  let second: Redis;
  beforeAll(() => {
    redis = testRedis(redisInfo.url);
    second = testRedis(redisInfo.url);
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    await Promise.all([redis.quit(), second.quit()]);
  });

  let n = 0;
  rateLimiterContract(
    () => new RedisRateLimiter({ redis, prefix }),
    () => `contract-${n++}`,
    { followsCallerClock: false },
  );

  it('shares one window between gateways whose clocks disagree', async () => {
    const subject = `skewed-${Date.now()}`;
    const limiters = [redis, second].map(
      (client) => new RedisRateLimiter({ redis: client, prefix }),
    );
    // One node's clock is right, the other's days ahead: with windows from the callers' clocks
    // each would count in a day of its own and let the limit through twice.
    const clocks = [Date.now(), Date.now() + 3 * 86_400_000];
    const decisions = [];
    for (let i = 0; i < 10; i++) {
      decisions.push(
        await limiters[i % 2]!.consume(subject, [{ window: 'day', limit: 5 }], clocks[i % 2]!),
      );
    }
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions.filter((d) => !d.allowed)).toHaveLength(5);
  });

  it('stores records as validated JSON, hash only', async () => {
    const store = new RedisApiKeyStore({ redis, prefix });
    const provider = new ApiKeyProvider({ store });
    const issued = await provider.issueKey({ userId: 'alice', scopes: ['a'] });
    const raw = await redis.get(`${prefix}apikey:${issued.keyId}`);
    expect(JSON.parse(raw!)).toMatchObject({ keyId: issued.keyId, userId: 'alice', active: true });
    expect(raw).not.toContain(issued.reveal().split('.')[1]);
    expect(await store.get(issued.keyId)).toEqual(issued.record);
    expect(await store.get('etdi_missingmissing')).toBeUndefined();
    expect(await store.delete(issued.keyId)).toBe(true);
    expect(await store.delete(issued.keyId)).toBe(false);
  });

  it('answers error for a record someone corrupted, never a half-read key', async () => {
    const store = new RedisApiKeyStore({ redis, prefix });
    const provider = new ApiKeyProvider({ store });
    const issued = await provider.issueKey({ userId: 'alice' });
    await redis.set(`${prefix}apikey:${issued.keyId}`, '{"keyId":"x","active":true}');
    const result = await provider.authenticate(new AuthCredentials({ apiKey: issued.reveal() }));
    expect(result).toMatchObject({ status: 'error', error: 'store-unavailable' });
    await redis.set(`${prefix}apikey:${issued.keyId}`, 'not json');
    expect(
      (await provider.authenticate(new AuthCredentials({ apiKey: issued.reveal() }))).error,
    ).toBe('store-unavailable');
  });

  it('shares keys and revocations between two gateway nodes', async () => {
    const a = new ApiKeyProvider({ store: new RedisApiKeyStore({ redis, prefix }) });
    const b = new ApiKeyProvider({ store: new RedisApiKeyStore({ redis: second, prefix }) });
    const issued = await a.issueKey({ userId: 'alice' });
    const creds = new AuthCredentials({ apiKey: issued.reveal() });
    expect((await b.authenticate(creds)).isSuccess).toBe(true);
    await a.revokeKey(issued.keyId);
    expect((await b.authenticate(creds)).error).toBe('key-inactive');
  });

  it('enforces one limit across processes sharing Redis: exactly the limit is allowed', async () => {
    const clock = testClock();
    const subject = `shared-${Date.now()}`;
    const limit = 50;
    const children = [0, 1].map(() =>
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          worker,
          redisInfo.url,
          prefix,
          subject,
          '60',
          String(limit),
          String(clock()),
        ],
        { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
      ),
    );
    const outputs = children.map(
      (child) =>
        new Promise<{ allowed: number }>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
          });
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0
              ? resolve(JSON.parse(out.replace('ready\n', '')) as { allowed: number })
              : reject(new Error(`worker exited ${code}`)),
          );
        }),
    );
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            child.stdout.once('data', () => resolve());
          }),
      ),
    );
    const limiters = [redis, second].map(
      (client) => new RedisRateLimiter({ redis: client, prefix }),
    );
    for (const child of children) child.stdin.end('go\n');
    const local = await Promise.all(
      limiters.flatMap((limiter) =>
        Array.from({ length: 60 }, () =>
          limiter.consume(subject, [{ window: 'day', limit }], clock()),
        ),
      ),
    );
    const remote = await Promise.all(outputs);
    const allowed =
      local.filter((d) => d.allowed).length + remote.reduce((s, r) => s + r.allowed, 0);
    expect(allowed).toBe(limit);
  });

  it('rate-limits one key across two gateway nodes through the provider', async () => {
    const clock = testClock();
    const make = (client: Redis) =>
      new ApiKeyProvider({
        store: new RedisApiKeyStore({ redis: client, prefix }),
        rateLimiter: new RedisRateLimiter({ redis: client, prefix }),
        now: clock,
      });
    const a = make(redis);
    const b = make(second);
    const key = (
      await a.issueKey({ userId: 'alice', policy: { rateLimits: { perDay: 7 } } })
    ).reveal();
    const creds = new AuthCredentials({ apiKey: key });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).authenticate(creds)),
    );
    expect(results.filter((r) => r.isSuccess)).toHaveLength(7);
    expect(results.filter((r) => r.status === 'rate-limited')).toHaveLength(13);
  });
});
