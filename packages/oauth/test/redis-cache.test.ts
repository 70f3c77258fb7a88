import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, expect, it, describe } from 'vitest';
import {
  RedisTokenCache,
  createOAuthService,
  type OAuthServiceOptions,
  type TokenCache,
  type TokenKind,
} from '@etdi/oauth';
import { describeWithService, service, uniquePrefix } from '../../../testing/services.js';
import { CapturingLogger, ManualClock, clientCredentials, tokenOf } from './support/harness.js';
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
    const made = new RedisTokenCache({ redis, prefix: prefix, encryptionKey, previousKeys });
    caches.push(made);
    return made;
  }

  function oauthWith(c: TokenCache, options: OAuthServiceOptions = {}) {
    return createOAuthService({ cache: c, ...options });
  }

  /** The refresh token of the server's last token response. */
  function lastIssuedRefreshToken(): string {
    const issued = [...server.issuedTokens()].filter((t) => t.kind === 'refresh_token');
    return issued.at(-1)!.token;
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
      get: async <K extends TokenKind>(kind: K, key: string) => {
        const entry = await inner.get(kind, key);
        if (kind === 'access' && ++reads === count) allRead();
        return entry;
      },
      set: (kind, key, entry, ttlMs) => inner.set(kind, key, entry, ttlMs),
      delete: (key, kind) => inner.delete(key, kind),
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
      prefix: `${prefix}contract:`,
      encryptionKey: KEY,
    });
    return { cache: owned, cleanup: () => owned.close() };
  });

  it('stores tokens encrypted, never in clear', async () => {
    server.settings.issueRefreshTokens = true;
    const c = cache();
    const oauth = oauthWith(c);
    const token = tokenOf(await oauth.getAccessToken('upstream', clientCredentials(server)));
    const refreshToken = lastIssuedRefreshToken();
    const keys = (await redis.keys(`${prefix}*upstream*`)).sort();
    expect(keys).toHaveLength(2); // the access token and, apart, the refresh token
    expect(keys.map((key) => key.slice(prefix.length, prefix.length + 3))).toEqual(['at:', 'rt:']);
    for (const key of keys) {
      const raw = (await redis.get(key))!;
      expect(raw).toMatch(
        /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/,
      );
      expect(raw.split('.')[1]).toBe(c.keyId);
      for (const secret of [token.value, refreshToken, 'rt-', 'Bearer']) {
        expect(raw).not.toContain(secret);
      }
      const ciphertext = Buffer.from(raw.split('.')[4]!, 'base64url').toString('latin1');
      expect(ciphertext).not.toContain(token.value);
      expect(ciphertext).not.toContain(refreshToken);
    }
  });

  it('seals each entry with a fresh IV', async () => {
    const c = cache();
    const entry = sampleEntry();
    await c.set('access', 'iv:a', entry, 60_000);
    const first = await redis.get(c.redisKey('access', 'iv:a'));
    await c.set('access', 'iv:a', entry, 60_000);
    const second = await redis.get(c.redisKey('access', 'iv:a'));
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

  describe('entry lifetimes', () => {
    const config = () => clientCredentials(server);

    async function keysOf(name: string) {
      const [access] = await redis.keys(`${prefix}at:*${name}*`);
      const [refresh] = await redis.keys(`${prefix}rt:*${name}*`);
      return { access, refresh };
    }

    it('expires the access token entry with the access token, even with a refresh token', async () => {
      server.settings.issueRefreshTokens = true;
      server.settings.expiresIn = 120;
      server.settings.refreshExpiresIn = 86_400;
      const oauth = oauthWith(cache(), { now: new ManualClock().now });
      const { before, after } = await bracketedByRedisTime(() =>
        oauth.getAccessToken('lifetimes', config()),
      );
      const { access, refresh } = await keysOf('lifetimes');
      const accessDeadline = await expireTime(access!);
      expect(accessDeadline).toBeGreaterThanOrEqual(before + 120_000);
      expect(accessDeadline).toBeLessThanOrEqual(after + 120_000);
      // The refresh token lives apart, for refresh_expires_in.
      const refreshDeadline = await expireTime(refresh!);
      expect(refreshDeadline).toBeGreaterThanOrEqual(before + 86_400_000);
      expect(refreshDeadline).toBeLessThanOrEqual(after + 86_400_000);
    });

    it('keeps a refresh token without refresh_expires_in for refreshTokenRetentionMs', async () => {
      server.settings.issueRefreshTokens = true;
      const oauth = oauthWith(cache(), {
        now: new ManualClock().now,
        refreshTokenRetentionMs: 7 * 86_400_000,
      });
      const { before, after } = await bracketedByRedisTime(() =>
        oauth.getAccessToken('retained', config()),
      );
      const deadline = await expireTime((await keysOf('retained')).refresh!);
      expect(deadline).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
      expect(deadline).toBeLessThanOrEqual(after + 7 * 86_400_000);
    });

    it('stores no refresh token entry when the server issues none', async () => {
      const oauth = oauthWith(cache());
      await oauth.getAccessToken('no-refresh', config());
      const { access, refresh } = await keysOf('no-refresh');
      expect(access).toBeDefined();
      expect(refresh).toBeUndefined();
    });

    it('uses the refresh token another replica stored once the access token is gone', async () => {
      server.settings.issueRefreshTokens = true;
      const a = oauthWith(cache());
      await a.getAccessToken('after-expiry', config());
      const issued = lastIssuedRefreshToken();
      const { access } = await keysOf('after-expiry');
      await redis.del(access!); // what Redis does when the access token's PX runs out
      const b = oauthWith(cache());
      const result = await b.getAccessToken('after-expiry', config());
      expect(result.ok).toBe(true);
      expect(server.tokenRequests.map((r) => r.grantType)).toEqual([
        'client_credentials',
        'refresh_token',
      ]);
      expect(server.tokenRequests[1]!.params.refresh_token).toBe(issued);
    });

    it('drops only the refresh token entry when the server refuses it', async () => {
      server.settings.issueRefreshTokens = true;
      const oauth = oauthWith(cache());
      await oauth.getAccessToken('refused-refresh', config());
      const { access } = await keysOf('refused-refresh');
      await redis.del(access!);
      server.enqueue({ status: 400, body: { error: 'invalid_grant' } });
      server.settings.issueRefreshTokens = false;
      expect((await oauth.getAccessToken('refused-refresh', config())).ok).toBe(true);
      const after = await keysOf('refused-refresh');
      expect(after.access).toBeDefined();
      expect(after.refresh).toBeUndefined();
    });

    it('revokes and clears a refresh token that outlived its access token', async () => {
      server.settings.issueRefreshTokens = true;
      const oauth = oauthWith(cache());
      await oauth.getAccessToken('revoke-late', config());
      const issued = lastIssuedRefreshToken();
      const { access } = await keysOf('revoke-late');
      await redis.del(access!);
      const fresh = oauthWith(cache()); // knows only what Redis holds
      expect(await fresh.revoke('revoke-late', config())).toEqual({
        ok: true,
        revoked: ['refresh_token'],
      });
      expect(server.introspect(issued)?.revoked).toBe(true);
      expect(await keysOf('revoke-late')).toEqual({ access: undefined, refresh: undefined });
    });
  });

  it('is shared by two service instances', async () => {
    const config = clientCredentials(server);
    const a = oauthWith(cache());
    const b = oauthWith(cache());
    const fromA = await a.getAccessToken('shared', config, { projectId: 'p' });
    const fromB = await b.getAccessToken('shared', config, { projectId: 'p' });
    expect(tokenOf(fromB).value).toBe(tokenOf(fromA).value);
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
    expect(second.ok).toBe(true);
    expect(tokenOf(second).value).not.toBe(tokenOf(first).value);
    expect(server.tokenRequests).toHaveLength(2);
    const warning = logger.lines.find((l) => l.fields.code === 'cache-error')!;
    expect(warning.level).toBe('warn');
    expect(String(warning.fields.reason)).toContain('cannot be decrypted');
    // The reader overwrote the entry under its own key: it hits from now on.
    expect(tokenOf(await reader.getAccessToken('rekeyed', config)).value).toBe(
      tokenOf(second).value,
    );
    expect(server.tokenRequests).toHaveLength(2);
  });

  it('opens entries sealed under a previous key during rotation', async () => {
    const entry = sampleEntry();
    await cache(KEY).set('access', 'rotate', entry, 60_000);
    const rotated = cache(OTHER_KEY, [KEY]);
    expect(await rotated.get('access', 'rotate')).toEqual(entry);
    await rotated.set('access', 'rotate', entry, 60_000);
    expect((await redis.get(rotated.redisKey('access', 'rotate')))!.split('.')[1]).toBe(
      rotated.keyId,
    );
  });

  it('refuses an entry copied under another cache key', async () => {
    const c = cache();
    await c.set('access', 'origin', sampleEntry(), 60_000);
    await redis.set(
      c.redisKey('access', 'copy'),
      (await redis.get(c.redisKey('access', 'origin')))!,
      'PX',
      60_000,
    );
    await expect(c.get('access', 'copy')).rejects.toMatchObject({ code: 'cache-error' });
  });

  it('refuses a tampered entry', async () => {
    const c = cache();
    await c.set('access', 'tampered', sampleEntry(), 60_000);
    const raw = (await redis.get(c.redisKey('access', 'tampered')))!;
    const parts = raw.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    await redis.set(c.redisKey('access', 'tampered'), parts.join('.'), 'PX', 60_000);
    await expect(c.get('access', 'tampered')).rejects.toMatchObject({ code: 'cache-error' });
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
    expect(new Set(results.map((r) => (r.ok ? r.token.value : undefined))).size).toBe(1);
  });

  it('clears the shared entry on revocation', async () => {
    const config = clientCredentials(server);
    const a = oauthWith(cache());
    const b = oauthWith(cache());
    const token = tokenOf(await a.getAccessToken('revoked', config));
    await a.revoke('revoked', config);
    const fromB = await b.getAccessToken('revoked', config);
    expect(tokenOf(fromB).value).not.toBe(token.value);
  });
});
