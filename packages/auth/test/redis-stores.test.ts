import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { SignJWT, generateKeyPair } from 'jose';
import {
  AuthCredentials,
  JwtProvider,
  RedisJtiRevocationStore,
  RedisSessionStore,
  buildAuthenticator,
  generateApiKey,
  hashApiKey,
  parseApiKey,
} from '@etdi/auth';
import { describeWithService, service, uniquePrefix } from '../../../testing/services.js';
import { testClock } from './support/clock.js';
import { deleteByPrefix, testRedis } from './support/redis.js';
import { sessionRecord, sessionStoreContract } from './support/session-store-contract.js';

const redisInfo = await service('redis');
const prefix = uniquePrefix('auth-stores');

describeWithService(redisInfo, 'Redis-backed auth stores', () => {
  let redis: Redis;
  let second: Redis;
  beforeAll(() => {
    redis = testRedis(redisInfo.url);
    second = testRedis(redisInfo.url);
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    await Promise.all([redis.quit(), second.quit()]);
  });

  sessionStoreContract(
    (clock) => new RedisSessionStore({ redis, prefix, now: clock }),
    () => testClock(Date.now()),
  );

  it('stores sessions under a hash of the id, and without the id', async () => {
    const store = new RedisSessionStore({ redis, prefix });
    const id = 'session-id-that-is-a-bearer-secret';
    await store.create(sessionRecord(id, Date.now(), 60_000));
    const keys = await redis.keys(`${prefix}session:*`);
    const values = await Promise.all(keys.map((k) => redis.get(k)));
    expect(keys.join() + values.join()).not.toContain(id);
    expect((await store.get(id))?.id).toBe(id);
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
  });

  it('refuses a session record someone corrupted', async () => {
    const store = new RedisSessionStore({ redis, prefix });
    const id = 'corrupt';
    await store.create(sessionRecord(id, Date.now(), 60_000));
    const key = `${prefix}session:${createHash('sha256').update(id).digest('base64url')}`;
    expect(await redis.exists(key)).toBe(1);
    await redis.set(key, '{"provider":42}');
    await expect(store.get(id)).rejects.toMatchObject({ code: 'store-error' });
  });

  it('shares jti revocations between gateway nodes, for as long as the token is accepted', async () => {
    const clock = testClock(Date.now());
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const make = (client: Redis) =>
      new JwtProvider({
        publicKey,
        algorithms: ['ES256'],
        issuer: 'https://idp.example',
        audience: 'etdi-gateway',
        clockToleranceSec: 30,
        now: clock,
        revocations: new RedisJtiRevocationStore({ redis: client, prefix, now: clock }),
      });
    const a = make(redis);
    const b = make(second);
    const exp = Math.floor(clock() / 1000) + 120;
    const token = await new SignJWT({ sub: 'alice', jti: 'jti-1', exp })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://idp.example')
      .setAudience('etdi-gateway')
      .sign(privateKey);
    const creds = new AuthCredentials({ accessToken: token });
    expect((await b.authenticate(creds)).isSuccess).toBe(true);
    await a.revoke('jti-1', exp * 1000);
    expect(await b.authenticate(creds)).toMatchObject({
      status: 'invalid-credentials',
      error: 'token-revoked',
    });
    // Kept until exp plus the 30 s tolerance, counted from the injected clock at revocation;
    // Redis has counted down since, by however long that took.
    const ttl = await redis.pttl(`${prefix}jti:jti-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(exp * 1000 + 30_000 - clock());
    // 10 s past exp: the tolerance still accepts the token, so the revocation must still hold.
    clock.set(exp * 1000 + 10_000);
    expect((await b.authenticate(creds)).error).toBe('token-revoked');
    clock.set(exp * 1000 + 31_000);
    expect((await b.authenticate(creds)).error).toBe('token-expired');
  });

  it('builds Redis-backed providers from configuration and shares their state', async () => {
    const key = generateApiKey();
    const document = {
      redis: { url: redisInfo.url, prefix },
      providers: {
        keys: {
          type: 'apiKey',
          store: 'redis',
          sessions: 'redis',
          keys: [
            {
              keyId: parseApiKey(key)!.keyId,
              hash: hashApiKey(key),
              userId: 'ci',
              policy: { rateLimits: { perDay: 3 } },
            },
          ],
        },
      },
    };
    const one = await buildAuthenticator(document);
    const two = await buildAuthenticator(document);
    const request = { headers: { 'x-api-key': key } };
    const results = [];
    for (let i = 0; i < 5; i++)
      results.push(await (i % 2 ? one : two).authenticateRequest(request));
    expect(results.map((r) => r.status)).toEqual([
      'success',
      'success',
      'success',
      'rate-limited',
      'rate-limited',
    ]);
    const session = results[0]!.sessionId!;
    expect(await one.chain.validateSession(session)).toBe(true);
    // A key deactivated in Redis stays deactivated when a node restarts with the same file.
    await redis.set(
      `${prefix}apikey:${parseApiKey(key)!.keyId}`,
      JSON.stringify({
        ...JSON.parse((await redis.get(`${prefix}apikey:${parseApiKey(key)!.keyId}`))!),
        active: false,
      }),
    );
    const three = await buildAuthenticator(document);
    expect((await three.authenticateRequest(request)).error).toBe('key-inactive');
    await Promise.all([one.close(), two.close(), three.close()]);
  });
});
