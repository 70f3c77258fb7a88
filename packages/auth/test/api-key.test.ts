import { describe, expect, it } from 'vitest';
import {
  ApiKeyProvider,
  AuthCredentials,
  AuthError,
  MemoryApiKeyStore,
  MemoryRateLimiter,
  MemorySessionStore,
  generateApiKey,
  hashApiKey,
  parseApiKey,
  verifyApiKey,
  type ApiKeyPolicy,
  type ApiKeyRecord,
  type ApiKeyStore,
  type IssueApiKeyOptions,
} from '@etdi/auth';
import { testClock } from './support/clock.js';
import { rateLimiterContract } from './support/rate-limiter-contract.js';

async function setup(issue: Partial<IssueApiKeyOptions> = {}, extra = {}) {
  const clock = testClock();
  const store = new MemoryApiKeyStore();
  const provider = new ApiKeyProvider({ store, now: clock, ...extra });
  const issued = await provider.issueKey({ userId: 'alice', scopes: ['tools:call'], ...issue });
  const key = issued.reveal();
  // `null` sends no key at all.
  const auth = (apiKey: string | null = key, context: Record<string, string> = {}) =>
    provider.authenticate(
      new AuthCredentials({
        ...(apiKey === null ? {} : { apiKey }),
        context: { remoteAddress: '10.1.2.3', method: 'POST', path: '/mcp', ...context },
      }),
    );
  return { clock, store, provider, issued, key, auth };
}

describe('API key format', () => {
  it('issues keyId.secret with 256 bits of secret', () => {
    const key = generateApiKey();
    const parsed = parseApiKey(key);
    expect(parsed?.keyId).toMatch(/^etdi_[A-Za-z0-9_-]{16}$/);
    expect(Buffer.from(parsed!.secret, 'base64url')).toHaveLength(32);
    expect(generateApiKey({ prefix: 'acme_' })).toMatch(/^acme_/);
  });
  it('refuses keys that are not keyId.secret', () => {
    for (const bad of [
      '',
      'nodot',
      '.secretsecretsecretsecret',
      'abc.short',
      'a b.cccccccccccccccccccccc',
    ]) {
      expect(parseApiKey(bad), bad).toBeUndefined();
    }
  });
  it('stores only a hash, plain or peppered', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(hashApiKey(key, 'pepper')).toMatch(/^hmac-sha256:/);
    expect(hashApiKey(key)).not.toContain(parseApiKey(key)!.secret);
    expect(verifyApiKey(key, hashApiKey(key))).toBe(true);
    expect(verifyApiKey(key, hashApiKey(key, 'pepper'), 'pepper')).toBe(true);
    expect(verifyApiKey(key, hashApiKey(key, 'pepper'), 'other')).toBe(false);
    // An unknown key id is compared against a dummy hash: same work, always false.
    expect(verifyApiKey(key, undefined)).toBe(false);
  });
});

describe('ApiKeyProvider', () => {
  describe('when the key is right', () => {
    it('authenticates with the key owner, scopes and source', async () => {
      const { auth, issued } = await setup({ projectId: 'p1', roles: ['dev'], name: 'ci' });
      const result = await auth();
      expect(result).toMatchObject({
        status: 'success',
        isSuccess: true,
        userId: 'alice',
        projectId: 'p1',
        permissions: ['tools:call'],
        roles: ['dev'],
        source: { provider: 'api-key', method: 'api-key' },
        metadata: { keyId: issued.keyId, name: 'ci' },
      });
    });
    it('never stores the secret', async () => {
      const { store, issued, key } = await setup();
      const record = await store.get(issued.keyId);
      expect(JSON.stringify(record)).not.toContain(parseApiKey(key)!.secret);
      expect(String(issued)).not.toContain(parseApiKey(key)!.secret);
      expect(JSON.stringify(issued)).not.toContain(parseApiKey(key)!.secret);
    });
    it('reads the gateway key field when configured', async () => {
      const { provider, key } = await setup({}, { credentialField: 'gatewayKey' });
      const result = await provider.authenticate(new AuthCredentials({ gatewayKey: key }));
      expect(result.isSuccess).toBe(true);
    });
    it('accepts Authorization: Bearer keyId.secret only when asked to', async () => {
      const off = await setup();
      expect(
        (await off.provider.authenticate(new AuthCredentials({ accessToken: off.key }))).error,
      ).toBe('no-credentials');
      const on = await setup({}, { acceptBearer: true });
      expect(
        (await on.provider.authenticate(new AuthCredentials({ accessToken: on.key }))).isSuccess,
      ).toBe(true);
    });
  });

  describe('when the key is wrong', () => {
    it('stands aside without a key', async () => {
      const { auth } = await setup();
      expect(await auth(null)).toMatchObject({ status: 'failure', error: 'no-credentials' });
    });
    it('refuses a wrong secret and an unknown key id alike', async () => {
      const { auth, key } = await setup();
      const { keyId, secret } = parseApiKey(key)!;
      const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
      const wrongSecret = await auth(`${keyId}.${flipped}`);
      const unknownId = await auth(`etdi_unknownunknown.${secret}`);
      for (const r of [wrongSecret, unknownId]) {
        expect(r).toMatchObject({
          status: 'invalid-credentials',
          error: 'invalid-api-key',
          message: 'API key is not valid',
        });
      }
    });
    it('refuses a key that is not keyId.secret', async () => {
      const { auth } = await setup();
      expect(await auth('garbage')).toMatchObject({
        status: 'invalid-credentials',
        error: 'malformed-credentials',
      });
    });
    it('refuses an oversized key before touching the store', async () => {
      const { auth } = await setup();
      expect(await auth(`a.${'b'.repeat(600)}`)).toMatchObject({ error: 'credential-too-large' });
    });
    it('refuses a revoked (inactive) key', async () => {
      const { auth, provider, issued } = await setup();
      expect(await provider.revokeKey(issued.keyId)).toBe(true);
      expect(await provider.revokeKey('etdi_nosuchkey')).toBe(false);
      expect(await auth()).toMatchObject({ status: 'invalid-credentials', error: 'key-inactive' });
    });
    it('refuses an expired key with status expired', async () => {
      const clock = testClock();
      const { auth, clock: c } = await setup({ expiresAt: clock() + 60_000 });
      expect((await auth()).isSuccess).toBe(true);
      c.advance(60_000);
      expect(await auth()).toMatchObject({ status: 'expired', error: 'key-expired' });
    });
    it('refuses a key bound to another project', async () => {
      const { provider, key } = await setup({ projectId: 'p1' });
      const result = await provider.authenticate(
        new AuthCredentials({ apiKey: key, projectId: 'p2' }),
      );
      expect(result).toMatchObject({
        status: 'insufficient-permissions',
        error: 'project-mismatch',
      });
    });
    it('refuses a key without the required scopes', async () => {
      const { auth } = await setup(
        { scopes: ['read'] },
        { requiredScopes: ['read', 'tools:call'] },
      );
      expect(await auth()).toMatchObject({
        status: 'insufficient-permissions',
        error: 'insufficient-scope',
        message: 'API key lacks required scope(s): tools:call',
      });
    });
    it('answers error when the store fails, and does not throw', async () => {
      const broken: ApiKeyStore = {
        get: () => Promise.reject(new Error('connection refused')),
        put: () => Promise.resolve(),
        delete: () => Promise.resolve(false),
      };
      const provider = new ApiKeyProvider({ store: broken });
      const result = await provider.authenticate(new AuthCredentials({ apiKey: generateApiKey() }));
      expect(result).toMatchObject({ status: 'error', error: 'store-unavailable' });
    });
  });

  describe('IP allow and deny lists', () => {
    const policy = {
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
      deniedIps: ['10.9.0.0/16', '2001:db8:bad::/48'],
    };
    it.each([
      ['10.1.2.3', true],
      ['::ffff:10.1.2.3', true],
      ['2001:db8:1::5', true],
      ['2001:DB8:1::5', true],
      ['10.9.1.1', false],
      ['2001:db8:bad::1', false],
      ['192.168.1.1', false],
      ['2001:db9::1', false],
      ['not-an-ip', false],
    ])('from %s: allowed is %s', async (remoteAddress, allowed) => {
      const { auth } = await setup({ policy });
      const result = await auth(undefined, { remoteAddress });
      if (allowed) expect(result.isSuccess).toBe(true);
      else
        expect(result).toMatchObject({
          status: 'insufficient-permissions',
          error: 'ip-not-allowed',
        });
    });
    it('refuses when the peer address is unknown and an allow list exists', async () => {
      const { provider, key } = await setup({ policy });
      const result = await provider.authenticate(new AuthCredentials({ apiKey: key }));
      expect(result.error).toBe('ip-not-allowed');
    });
    it('refuses a malformed CIDR when the key is issued, naming the entry', async () => {
      const provider = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
      await expect(
        provider.issueKey({ userId: 'a', policy: { allowedIps: ['10.0.0.0/8', '10.0.0.0/33'] } }),
      ).rejects.toMatchObject({ code: 'invalid-argument', pointer: '/policy/allowedIps/1' });
      await expect(
        provider.issueKey({ userId: 'a', policy: { deniedIps: ['300.1.1.1'] } }),
      ).rejects.toBeInstanceOf(AuthError);
    });
  });

  describe('allowed and blocked endpoints', () => {
    const policy = {
      allowedEndpoints: ['POST /mcp', '/tools/*', '/admin/**'],
      blockedEndpoints: ['/admin/keys/**', 'DELETE /tools/*'],
    };
    it.each([
      ['POST', '/mcp', true],
      ['GET', '/mcp', false],
      ['GET', '/tools/list', true],
      ['GET', '/tools/list/extra', false],
      ['DELETE', '/tools/x', false],
      ['GET', '/admin', true],
      ['GET', '/admin/users/1', true],
      ['GET', '/admin/keys', false],
      ['GET', '/admin/keys/k1', false],
      ['GET', '/admin/x/../keys/k1', false],
      ['GET', '//admin//keys/k1', false],
      ['GET', '/other', false],
    ])('%s %s: allowed is %s', async (method, path, allowed) => {
      const { auth } = await setup({ policy });
      const result = await auth(undefined, { method, path });
      if (allowed) expect(result.isSuccess).toBe(true);
      else {
        expect(result).toMatchObject({
          status: 'insufficient-permissions',
          error: 'endpoint-not-allowed',
        });
      }
    });
    it('refuses a malformed pattern at issue time', async () => {
      const provider = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
      await expect(
        provider.issueKey({ userId: 'a', policy: { allowedEndpoints: ['mcp'] } }),
      ).rejects.toMatchObject({ code: 'invalid-argument', pointer: '/policy/allowedEndpoints/0' });
    });
  });

  describe("a key's own policy over the default policy", () => {
    const defaultPolicy = {
      allowedIps: ['10.0.0.0/8'],
      deniedIps: ['10.66.0.0/16'],
      allowedEndpoints: ['/mcp', '/tools/**'],
      blockedEndpoints: ['/admin/**'],
    };
    async function keyWith(
      policy: IssueApiKeyOptions['policy'],
      defaults: ApiKeyPolicy = defaultPolicy,
    ) {
      const clock = testClock();
      const provider = new ApiKeyProvider({
        store: new MemoryApiKeyStore(),
        now: clock,
        defaultPolicy: defaults,
      });
      const key = (await provider.issueKey({ userId: 'alice', policy })).reveal();
      return (context: Record<string, string>) =>
        provider.authenticate(
          new AuthCredentials({
            apiKey: key,
            context: { remoteAddress: '10.1.2.3', method: 'GET', path: '/mcp', ...context },
          }),
        );
    }

    it('keeps the default blocked endpoints blocked when the key blocks others', async () => {
      const auth = await keyWith(
        { blockedEndpoints: ['/tools/delete'] },
        { blockedEndpoints: ['/admin/**'] },
      );
      expect((await auth({ path: '/admin/secrets' })).error).toBe('endpoint-not-allowed');
      expect((await auth({ path: '/tools/delete' })).error).toBe('endpoint-not-allowed');
      expect((await auth({ path: '/tools/list' })).isSuccess).toBe(true);
    });

    it('keeps the default denied addresses denied when the key denies others', async () => {
      const auth = await keyWith({ deniedIps: ['10.77.0.0/16'] });
      expect((await auth({ remoteAddress: '10.66.1.1' })).error).toBe('ip-not-allowed');
      expect((await auth({ remoteAddress: '10.77.1.1' })).error).toBe('ip-not-allowed');
      expect((await auth({ remoteAddress: '10.1.1.1' })).isSuccess).toBe(true);
    });

    it('lets a key narrow the allow lists, never widen them', async () => {
      const auth = await keyWith({
        allowedIps: ['10.1.0.0/16', '192.0.2.0/24'],
        allowedEndpoints: ['/mcp', '/admin/**'],
      });
      expect((await auth({ remoteAddress: '10.1.2.3' })).isSuccess).toBe(true);
      // Allowed by the key, not by the default.
      expect((await auth({ remoteAddress: '192.0.2.1' })).error).toBe('ip-not-allowed');
      expect((await auth({ path: '/admin/x' })).error).toBe('endpoint-not-allowed');
      // Allowed by the default, not by the key.
      expect((await auth({ remoteAddress: '10.2.0.1' })).error).toBe('ip-not-allowed');
      expect((await auth({ path: '/tools/list' })).error).toBe('endpoint-not-allowed');
    });

    it('reads an empty allow list as "nobody": an emptied list fails closed', async () => {
      const provider = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
      for (const policy of [{ allowedIps: [] }, { allowedEndpoints: [] }]) {
        const key = (await provider.issueKey({ userId: 'a', policy })).reveal();
        const result = await provider.authenticate(
          new AuthCredentials({
            apiKey: key,
            context: { remoteAddress: '10.1.2.3', method: 'GET', path: '/mcp' },
          }),
        );
        expect(result.status, JSON.stringify(policy)).toBe('insufficient-permissions');
      }
    });

    it("requires the default allowed hours and the key's alike", async () => {
      const clock = testClock(Date.UTC(2026, 0, 5, 10, 0, 0)); // Monday 10:00 UTC
      const provider = new ApiKeyProvider({
        store: new MemoryApiKeyStore(),
        now: clock,
        defaultPolicy: { allowedHours: { timeZone: 'UTC', start: '08:00', end: '18:00' } },
      });
      const key = (
        await provider.issueKey({
          userId: 'a',
          policy: { allowedHours: { timeZone: 'UTC', start: '00:00', end: '24:00' } },
        })
      ).reveal();
      const auth = () => provider.authenticate(new AuthCredentials({ apiKey: key }));
      expect((await auth()).isSuccess).toBe(true);
      clock.set(Date.UTC(2026, 0, 5, 20, 0, 0));
      expect((await auth()).error).toBe('outside-allowed-hours');
    });
  });

  describe('allowed hours in a time zone', () => {
    const office = {
      allowedHours: {
        timeZone: 'America/New_York',
        start: '09:00',
        end: '17:00',
        days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const,
      },
    };
    it('follows local time, not UTC', async () => {
      const { auth, clock } = await setup({ policy: office });
      // Monday 2026-01-05 13:59 UTC is 08:59 in New York (EST, UTC-5).
      clock.set(Date.UTC(2026, 0, 5, 13, 59));
      expect(await auth()).toMatchObject({
        status: 'insufficient-permissions',
        error: 'outside-allowed-hours',
      });
      clock.set(Date.UTC(2026, 0, 5, 14, 0));
      expect((await auth()).isSuccess).toBe(true);
      clock.set(Date.UTC(2026, 0, 5, 21, 59));
      expect((await auth()).isSuccess).toBe(true);
      clock.set(Date.UTC(2026, 0, 5, 22, 0));
      expect((await auth()).error).toBe('outside-allowed-hours');
    });
    it('follows daylight saving time', async () => {
      const { auth, clock } = await setup({ policy: office });
      // Monday 2026-07-06: New York is on EDT (UTC-4), so 09:00 local is 13:00 UTC.
      clock.set(Date.UTC(2026, 6, 6, 13, 0));
      expect((await auth()).isSuccess).toBe(true);
      clock.set(Date.UTC(2026, 6, 6, 12, 59));
      expect((await auth()).isSuccess).toBe(false);
    });
    it('refuses on days not listed', async () => {
      const { auth, clock } = await setup({ policy: office });
      clock.set(Date.UTC(2026, 0, 10, 15, 0)); // Saturday
      expect((await auth()).error).toBe('outside-allowed-hours');
    });
    it('handles windows past midnight', async () => {
      const night = {
        allowedHours: {
          timeZone: 'Asia/Tokyo',
          start: '22:00',
          end: '06:00',
          days: ['fri'] as const,
        },
      };
      const { auth, clock } = await setup({ policy: night });
      // Friday 2026-01-09 23:30 in Tokyo (UTC+9) = 14:30 UTC.
      clock.set(Date.UTC(2026, 0, 9, 14, 30));
      expect((await auth()).isSuccess).toBe(true);
      // Saturday 05:30 Tokyo: still Friday night's window.
      clock.set(Date.UTC(2026, 0, 9, 20, 30));
      expect((await auth()).isSuccess).toBe(true);
      // Saturday 23:30 Tokyo: Saturday is not listed.
      clock.set(Date.UTC(2026, 0, 10, 14, 30));
      expect((await auth()).isSuccess).toBe(false);
    });
    it('refuses an unknown time zone at issue time', async () => {
      const provider = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
      await expect(
        provider.issueKey({
          userId: 'a',
          policy: { allowedHours: { timeZone: 'Mars/Olympus', start: '09:00', end: '17:00' } },
        }),
      ).rejects.toMatchObject({
        code: 'invalid-argument',
        pointer: '/policy/allowedHours/timeZone',
      });
    });
  });

  describe('rate limits', () => {
    it('allows the per-minute limit, then answers rate-limited with a retry time', async () => {
      const { auth, clock } = await setup({ policy: { rateLimits: { perMinute: 2 } } });
      clock.set(Date.UTC(2026, 0, 5, 10, 0, 20));
      expect((await auth()).isSuccess).toBe(true);
      expect((await auth()).isSuccess).toBe(true);
      expect(await auth()).toMatchObject({
        status: 'rate-limited',
        error: 'rate-limit-exceeded',
        retryAfterMs: 40_000,
        message: 'API key exceeded 2 requests per minute',
        metadata: { window: 'minute', limit: 2 },
      });
      clock.advance(40_000);
      expect((await auth()).isSuccess).toBe(true);
    });
    it('applies hour and day limits', async () => {
      const { auth, clock } = await setup({ policy: { rateLimits: { perHour: 2, perDay: 3 } } });
      expect((await auth()).isSuccess).toBe(true);
      expect((await auth()).isSuccess).toBe(true);
      expect((await auth()).metadata).toMatchObject({ window: 'hour' });
      clock.advance(3_600_000);
      expect((await auth()).isSuccess).toBe(true);
      expect((await auth()).metadata).toMatchObject({ window: 'day' });
    });
    it('does not count requests refused for other reasons', async () => {
      const { auth } = await setup({
        policy: { rateLimits: { perMinute: 1 }, allowedEndpoints: ['/mcp'] },
      });
      for (let i = 0; i < 5; i++)
        expect((await auth(undefined, { path: '/nope' })).isSuccess).toBe(false);
      expect((await auth()).isSuccess).toBe(true);
    });
    it('applies the default rate limits unless the key sets its own for the window', async () => {
      const store = new MemoryApiKeyStore();
      const provider = new ApiKeyProvider({
        store,
        defaultPolicy: { rateLimits: { perMinute: 1 } },
      });
      const strict = (await provider.issueKey({ userId: 'a' })).reveal();
      const generous = (
        await provider.issueKey({ userId: 'b', policy: { rateLimits: { perMinute: 5 } } })
      ).reveal();
      const count = async (key: string) => {
        let ok = 0;
        for (let i = 0; i < 5; i++) {
          if ((await provider.authenticate(new AuthCredentials({ apiKey: key }))).isSuccess) ok++;
        }
        return ok;
      };
      expect(await count(strict)).toBe(1);
      expect(await count(generous)).toBe(5);
    });
    it('answers error when the rate limiter fails', async () => {
      const { key, store } = await setup({ policy: { rateLimits: { perMinute: 1 } } });
      const provider = new ApiKeyProvider({
        store,
        rateLimiter: { consume: () => Promise.reject(new Error('redis down')) },
      });
      expect(await provider.authenticate(new AuthCredentials({ apiKey: key }))).toMatchObject({
        status: 'error',
        error: 'store-unavailable',
      });
    });
  });

  describe('keys from records', () => {
    it('authenticates against a hash provisioned out of band', async () => {
      const key = generateApiKey();
      const record: ApiKeyRecord = {
        keyId: parseApiKey(key)!.keyId,
        hash: hashApiKey(key, 'pep'),
        userId: 'svc',
        scopes: [],
        active: true,
        createdAt: 0,
      };
      const provider = new ApiKeyProvider({
        store: new MemoryApiKeyStore([record]),
        pepper: 'pep',
      });
      expect((await provider.authenticate(new AuthCredentials({ apiKey: key }))).userId).toBe(
        'svc',
      );
    });
    it('refuses a malformed record', () => {
      expect(
        () => new MemoryApiKeyStore([{ keyId: 'x', hash: 'nope' } as unknown as ApiKeyRecord]),
      ).toThrow(AuthError);
    });
  });

  describe('sessions', () => {
    it('opens a session that dies with the key', async () => {
      const clock = testClock();
      const sessions = new MemorySessionStore({ now: clock });
      const store = new MemoryApiKeyStore();
      const provider = new ApiKeyProvider({ store, now: clock, sessions, sessionTtlMs: 60_000 });
      const issued = await provider.issueKey({ userId: 'alice' });
      const result = await provider.authenticate(new AuthCredentials({ apiKey: issued.reveal() }));
      expect(result.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await provider.validateSession(result.sessionId!)).toBe(true);
      expect(await provider.validateSession('unknown')).toBe(false);
      await provider.revokeKey(issued.keyId);
      expect(await provider.validateSession(result.sessionId!)).toBe(false);
    });
    it('expires sessions with their TTL', async () => {
      const clock = testClock();
      const sessions = new MemorySessionStore({ now: clock });
      const provider = new ApiKeyProvider({
        store: new MemoryApiKeyStore(),
        now: clock,
        sessions,
        sessionTtlMs: 60_000,
      });
      const key = (await provider.issueKey({ userId: 'alice' })).reveal();
      const { sessionId } = await provider.authenticate(new AuthCredentials({ apiKey: key }));
      clock.advance(60_000);
      expect(await provider.validateSession(sessionId!)).toBe(false);
    });
    it('refreshes a live session with fresh credentials and retires the old one', async () => {
      const clock = testClock();
      const sessions = new MemorySessionStore({ now: clock });
      const provider = new ApiKeyProvider({ store: new MemoryApiKeyStore(), now: clock, sessions });
      const key = (await provider.issueKey({ userId: 'alice' })).reveal();
      const other = (await provider.issueKey({ userId: 'mallory' })).reveal();
      const first = await provider.authenticate(new AuthCredentials({ apiKey: key }));
      const refreshed = await provider.refreshAuthentication(
        first.sessionId!,
        new AuthCredentials({ apiKey: key }),
      );
      expect(refreshed.isSuccess).toBe(true);
      expect(refreshed.sessionId).not.toBe(first.sessionId);
      expect(await provider.validateSession(first.sessionId!)).toBe(false);
      expect(
        await provider.refreshAuthentication(
          refreshed.sessionId!,
          new AuthCredentials({ apiKey: other }),
        ),
      ).toMatchObject({ status: 'invalid-credentials', error: 'identity-mismatch' });
      expect(
        await provider.refreshAuthentication('nope', new AuthCredentials({ apiKey: key })),
      ).toMatchObject({ error: 'unknown-session' });
    });
  });

  it('describes its configuration', () => {
    const provider = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
    expect(provider.supportedMethods()).toEqual(['api-key']);
    expect(provider.requiredConfigKeys()).toEqual(['type']);
    expect(provider.validateConfig({ type: 'apiKey', store: 'memory' })).toEqual({
      valid: true,
      issues: [],
    });
    expect(provider.validateConfig({ type: 'apiKey', stor: 'memory' })).toMatchObject({
      valid: false,
      issues: [{ pointer: '/stor', message: 'unknown key "stor"' }],
    });
  });
});

rateLimiterContract(
  () => new MemoryRateLimiter(),
  () => `subject-${Math.random()}`,
  { followsCallerClock: true },
);
