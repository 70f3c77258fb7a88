import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthCredentials,
  AuthError,
  IntrospectionProvider,
  MemorySessionStore,
  type IntrospectionProviderOptions,
} from '@etdi/auth';
import { testClock, type TestClock } from './support/clock.js';
import { recordingLogger } from './support/recording-logger.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startAuthorizationServer,
  type TestAuthorizationServer,
} from './support/oauth-server.js';

let as: TestAuthorizationServer;
let clock: TestClock;
const nowSec = () => Math.floor(clock() / 1000);

beforeAll(async () => {
  as = await startAuthorizationServer();
});
afterAll(() => as.close());
beforeEach(() => {
  clock = testClock();
  as.tokens.clear();
  as.userinfo.clear();
  as.refreshTokens.clear();
  as.calls.introspect = as.calls.userinfo = as.calls.token = 0;
  as.failWith = undefined;
  as.seen.length = 0;
});

function provider(options: Partial<IntrospectionProviderOptions> = {}) {
  return new IntrospectionProvider({
    introspectionEndpoint: `${as.base}/introspect`,
    tokenEndpoint: `${as.base}/token`,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    // The test authorization server listens on 127.0.0.1 without TLS.
    allowLoopbackHttp: true,
    now: clock,
    ...options,
  });
}

const bearer = (token: string) => new AuthCredentials({ accessToken: token });

describe('IntrospectionProvider', () => {
  describe('with an active token', () => {
    it('authenticates with the subject and scopes, authenticating itself with client_secret_basic', async () => {
      as.tokens.set('tok-1', {
        active: true,
        sub: 'alice',
        scope: 'mcp tools:call',
        client_id: 'cli',
        exp: nowSec() + 600,
        iss: 'https://as.example',
      });
      const result = await provider().authenticate(bearer('tok-1'));
      expect(result).toMatchObject({
        status: 'success',
        userId: 'alice',
        permissions: ['mcp', 'tools:call'],
        source: { provider: 'oauth2', method: 'oauth' },
        metadata: { clientId: 'cli', iss: 'https://as.example' },
        expiresAt: (nowSec() + 600) * 1000,
      });
      expect(as.seen[0]?.form).toMatchObject({ token: 'tok-1', token_type_hint: 'access_token' });
      expect(as.seen[0]?.authorization).toMatch(/^Basic /);
    });

    it('supports client_secret_post', async () => {
      as.tokens.set('tok-1', { active: true, sub: 'alice' });
      const result = await provider({ clientAuthMethod: 'client_secret_post' }).authenticate(
        bearer('tok-1'),
      );
      expect(result.isSuccess).toBe(true);
      expect(as.seen[0]?.authorization).toBeUndefined();
      expect(as.seen[0]?.form?.client_id).toBe(CLIENT_ID);
    });

    it('falls back to username when there is no sub', async () => {
      as.tokens.set('tok-1', { active: true, username: 'bob' });
      expect((await provider().authenticate(bearer('tok-1'))).userId).toBe('bob');
    });
  });

  describe('caching', () => {
    it('asks the authorization server once per token while cached', async () => {
      as.tokens.set('tok-1', { active: true, sub: 'alice', exp: nowSec() + 3600 });
      const p = provider({ cacheMaxTtlMs: 60_000 });
      for (let i = 0; i < 5; i++)
        expect((await p.authenticate(bearer('tok-1'))).isSuccess).toBe(true);
      expect(as.calls.introspect).toBe(1);
      clock.advance(60_000);
      await p.authenticate(bearer('tok-1'));
      expect(as.calls.introspect).toBe(2);
    });

    it('never caches past the token exp', async () => {
      as.tokens.set('tok-1', { active: true, sub: 'alice', exp: nowSec() + 10 });
      const p = provider({ cacheMaxTtlMs: 300_000 });
      expect((await p.authenticate(bearer('tok-1'))).isSuccess).toBe(true);
      clock.advance(9_000);
      expect((await p.authenticate(bearer('tok-1'))).isSuccess).toBe(true);
      expect(as.calls.introspect).toBe(1);
      clock.advance(1_000);
      // The cached answer is gone: the server is asked again and the token has expired.
      expect(await p.authenticate(bearer('tok-1'))).toMatchObject({
        status: 'expired',
        error: 'token-expired',
      });
      expect(as.calls.introspect).toBe(2);
    });

    describe('of refusals', () => {
      it('asks once for a junk token retried, until the refusal expires (30 s)', async () => {
        const p = provider();
        for (let i = 0; i < 20; i++) {
          expect(await p.authenticate(bearer('junk'))).toMatchObject({
            status: 'invalid-credentials',
            error: 'token-inactive',
          });
        }
        expect(as.calls.introspect).toBe(1);
        clock.advance(29_999);
        await p.authenticate(bearer('junk'));
        expect(as.calls.introspect).toBe(1);
        clock.advance(1);
        await p.authenticate(bearer('junk'));
        expect(as.calls.introspect).toBe(2);
      });

      it('asks once for a burst of one junk token sent concurrently', async () => {
        const p = provider();
        const results = await Promise.all(
          Array.from({ length: 20 }, () => p.authenticate(bearer('junk'))),
        );
        expect(results.every((r) => r.error === 'token-inactive')).toBe(true);
        expect(as.calls.introspect).toBe(1);
      });

      it('caches a token of a foreign audience and a UserInfo refusal too', async () => {
        as.tokens.set('foreign', { active: true, sub: 'a', aud: 'other' });
        const p = provider({ audience: 'gw' });
        for (let i = 0; i < 3; i++)
          expect((await p.authenticate(bearer('foreign'))).error).toBe('audience-mismatch');
        expect(as.calls.introspect).toBe(1);
        const u = provider({
          introspectionEndpoint: undefined,
          userinfoEndpoint: `${as.base}/userinfo`,
        });
        for (let i = 0; i < 3; i++)
          expect((await u.authenticate(bearer('junk'))).error).toBe('token-inactive');
        expect(as.calls.userinfo).toBe(1);
      });

      it('never caches a failure to reach the authorization server', async () => {
        as.failWith = { status: 503, body: {} };
        const p = provider();
        for (let i = 0; i < 3; i++)
          expect((await p.authenticate(bearer('tok'))).error).toBe('introspection-unavailable');
        expect(as.calls.introspect).toBe(3);
      });

      it('is bounded in size and can be turned off', async () => {
        const bounded = provider({ maxCacheEntries: 2 });
        for (const token of ['j1', 'j2', 'j3', 'j1']) await bounded.authenticate(bearer(token));
        // j1 was pushed out by j3: asked again.
        expect(as.calls.introspect).toBe(4);
        const off = provider({ negativeCacheTtlMs: 0 });
        await off.authenticate(bearer('junk'));
        await off.authenticate(bearer('junk'));
        expect(as.calls.introspect).toBe(6);
      });

      it('forgets a refusal on request', async () => {
        const p = provider();
        expect((await p.authenticate(bearer('tok-x'))).error).toBe('token-inactive');
        as.tokens.set('tok-x', { active: true, sub: 'alice' });
        p.forget('tok-x');
        expect((await p.authenticate(bearer('tok-x'))).isSuccess).toBe(true);
      });
    });

    it('forgets a token on request', async () => {
      as.tokens.set('tok-1', { active: true, sub: 'alice' });
      const p = provider();
      await p.authenticate(bearer('tok-1'));
      as.tokens.set('tok-1', { active: false });
      p.forget('tok-1');
      expect((await p.authenticate(bearer('tok-1'))).error).toBe('token-inactive');
    });
  });

  describe('refusals', () => {
    it.each([
      ['inactive', { active: false }, 'invalid-credentials', 'token-inactive'],
      ['expired', { active: true, sub: 'a', exp: 1 }, 'expired', 'token-expired'],
      [
        'not yet valid',
        { active: true, sub: 'a', nbf: 4_000_000_000 },
        'invalid-credentials',
        'token-not-yet-valid',
      ],
      ['without subject', { active: true, aud: 'gw' }, 'invalid-credentials', 'missing-claim'],
      [
        'from another issuer',
        { active: true, sub: 'a', iss: 'https://evil' },
        'invalid-credentials',
        'issuer-mismatch',
      ],
      [
        'for another audience',
        { active: true, sub: 'a', aud: ['other'] },
        'invalid-credentials',
        'audience-mismatch',
      ],
      ['without audience', { active: true, sub: 'a' }, 'invalid-credentials', 'audience-mismatch'],
      [
        'missing a scope',
        { active: true, sub: 'a', aud: 'gw', scope: 'read' },
        'insufficient-permissions',
        'insufficient-scope',
      ],
    ])('refuses a token %s', async (_label, answer, status, error) => {
      as.tokens.set('tok', answer);
      const p = provider({
        issuer: 'https://as.example',
        audience: ['gw'],
        requiredScopes: ['read', 'mcp'],
      });
      expect(await p.authenticate(bearer('tok'))).toMatchObject({ status, error });
    });

    it.each([
      ['an HTTP error', { status: 500, body: { error: 'server_error' } }],
      ['a malformed answer', { status: 200, body: { active: 'yes' } }],
      ['a non-JSON answer', { status: 200, body: 'not json' }],
    ])('answers error for %s', async (_label, failWith) => {
      as.failWith = failWith;
      expect(await provider().authenticate(bearer('tok'))).toMatchObject({
        status: 'error',
        error: 'introspection-unavailable',
      });
    });

    it('answers error when its own client credentials are refused', async () => {
      expect(await provider({ clientSecret: 'wrong' }).authenticate(bearer('tok'))).toMatchObject({
        status: 'error',
        error: 'introspection-unavailable',
        message: 'Introspection endpoint answered HTTP 401',
      });
    });

    it('answers error when the server is unreachable', async () => {
      const p = provider({
        introspectionEndpoint: 'http://127.0.0.1:1/introspect',
        timeoutMs: 2_000,
      });
      expect(await p.authenticate(bearer('tok'))).toMatchObject({
        status: 'error',
        error: 'introspection-unavailable',
      });
    });

    it('stands aside without a token and refuses an oversized one', async () => {
      expect((await provider().authenticate(new AuthCredentials())).error).toBe('no-credentials');
      expect((await provider().authenticate(bearer('x'.repeat(9000)))).error).toBe(
        'credential-too-large',
      );
      expect(as.calls.introspect).toBe(0);
    });
  });

  describe('userinfo', () => {
    it('decides alone when there is no introspection endpoint', async () => {
      as.userinfo.set('tok-u', { sub: 'carol', email: 'carol@example.com', scope: 'mcp' });
      const p = provider({
        introspectionEndpoint: undefined,
        userinfoEndpoint: `${as.base}/userinfo`,
      });
      expect(await p.authenticate(bearer('tok-u'))).toMatchObject({
        status: 'success',
        userId: 'carol',
        permissions: ['mcp'],
        metadata: { userinfo: { email: 'carol@example.com' } },
      });
      expect((await p.authenticate(bearer('other'))).error).toBe('token-inactive');
    });

    describe('alone, with requiredScopes', () => {
      const userinfoOnly = () =>
        provider({
          introspectionEndpoint: undefined,
          userinfoEndpoint: `${as.base}/userinfo`,
          requiredScopes: ['mcp:call', 'files:read'],
        });

      it('accepts a token whose UserInfo scope covers every required scope', async () => {
        as.userinfo.set('tok-all', { sub: 'carol', scope: 'files:read  mcp:call extra' });
        expect(await userinfoOnly().authenticate(bearer('tok-all'))).toMatchObject({
          status: 'success',
          userId: 'carol',
          permissions: ['files:read', 'mcp:call', 'extra'],
        });
      });

      it.each([
        ['one required scope missing', { sub: 'carol', scope: 'mcp:call' }, 'files:read'],
        ['no scope claim at all', { sub: 'carol' }, 'mcp:call, files:read'],
        [
          'a scope claim that is not a string',
          { sub: 'carol', scope: ['mcp:call', 'files:read'] },
          'mcp:call, files:read',
        ],
        [
          'a scope that only looks alike (case)',
          { sub: 'carol', scope: 'MCP:CALL files:read' },
          'mcp:call',
        ],
      ])('refuses %s as insufficient-scope', async (_label, claims, missing) => {
        as.userinfo.set('tok-short', claims);
        const result = await userinfoOnly().authenticate(bearer('tok-short'));
        expect(result).toMatchObject({
          status: 'insufficient-permissions',
          error: 'insufficient-scope',
          message: `Access token lacks required scope(s): ${missing}`,
        });
        expect(result.userId).toBeUndefined();
      });
    });

    it('bounds the cache by the exp of a JWT access token', async () => {
      const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const jwtish = `${b64({ alg: 'RS256' })}.${b64({ exp: nowSec() + 5 })}.sig`;
      as.userinfo.set(jwtish, { sub: 'carol' });
      const p = provider({
        introspectionEndpoint: undefined,
        userinfoEndpoint: `${as.base}/userinfo`,
      });
      expect((await p.authenticate(bearer(jwtish))).expiresAt).toBe((nowSec() + 5) * 1000);
      clock.advance(5_000);
      expect((await p.authenticate(bearer(jwtish))).error).toBe('token-expired');
      expect(as.calls.userinfo).toBe(2);
    });

    it('adds userinfo claims after a positive introspection', async () => {
      as.tokens.set('tok-1', { active: true, sub: 'alice' });
      as.userinfo.set('tok-1', { sub: 'alice', name: 'Alice' });
      const p = provider({ userinfoEndpoint: `${as.base}/userinfo` });
      expect((await p.authenticate(bearer('tok-1'))).metadata).toMatchObject({
        userinfo: { name: 'Alice' },
      });
    });
  });

  describe('refresh', () => {
    it('trades a refresh token for new tokens and authenticates the new access token', async () => {
      as.refreshTokens.set('rt-1', { sub: 'alice', scope: 'mcp', exp: nowSec() + 300 });
      const logger = recordingLogger();
      const p = provider({ logger });
      const result = await p.refreshAuthentication(
        'any',
        new AuthCredentials({ refreshToken: 'rt-1' }),
      );
      expect(result).toMatchObject({ status: 'success', userId: 'alice', permissions: ['mcp'] });
      expect(result.tokens?.accessToken).toMatch(/^access-/);
      expect(result.tokens?.refreshToken).toMatch(/^refresh-/);
      expect(result.tokens?.expiresAt).toBe(clock() + 300_000);
      expect(JSON.stringify(result)).not.toContain(result.tokens!.accessToken);
      expect(logger.text()).not.toContain('rt-1');
      // The old refresh token was rotated away.
      expect(
        await p.refreshAuthentication('any', new AuthCredentials({ refreshToken: 'rt-1' })),
      ).toMatchObject({
        status: 'expired',
        error: 'refresh-failed',
      });
    });

    it('keeps the session identity across a refresh', async () => {
      const sessions = new MemorySessionStore({ now: clock });
      as.tokens.set('tok-a', { active: true, sub: 'alice', exp: nowSec() + 60 });
      as.refreshTokens.set('rt-mallory', { sub: 'mallory', scope: '', exp: nowSec() + 300 });
      as.refreshTokens.set('rt-alice', { sub: 'alice', scope: '', exp: nowSec() + 300 });
      const p = provider({ sessions });
      const first = await p.authenticate(bearer('tok-a'));
      expect(await p.validateSession(first.sessionId!)).toBe(true);
      expect(
        await p.refreshAuthentication(
          first.sessionId!,
          new AuthCredentials({ refreshToken: 'rt-mallory' }),
        ),
      ).toMatchObject({ error: 'identity-mismatch' });
      const next = await p.refreshAuthentication(
        first.sessionId!,
        new AuthCredentials({ refreshToken: 'rt-alice' }),
      );
      expect(next.isSuccess).toBe(true);
      expect(await p.validateSession(first.sessionId!)).toBe(false);
      expect(await p.validateSession(next.sessionId!)).toBe(true);
      // The session expires with the access token; the refresh token still works after that.
      clock.advance(61_000);
      expect(await p.validateSession(first.sessionId!)).toBe(false);
    });

    it('says why a refresh cannot happen', async () => {
      expect((await provider().refreshAuthentication('s', new AuthCredentials())).error).toBe(
        'no-credentials',
      );
      expect(
        await provider({ tokenEndpoint: undefined }).refreshAuthentication(
          's',
          new AuthCredentials({ refreshToken: 'x' }),
        ),
      ).toMatchObject({ error: 'refresh-failed' });
      expect(
        await provider({ clientSecret: 'wrong' }).refreshAuthentication(
          's',
          new AuthCredentials({ refreshToken: 'x' }),
        ),
      ).toMatchObject({ status: 'invalid-credentials', error: 'refresh-failed' });
    });
  });

  describe('configuration', () => {
    it('needs an introspection or userinfo endpoint and client credentials', () => {
      expect(() => provider({ introspectionEndpoint: undefined })).toThrow(AuthError);
      expect(() => provider({ clientId: '' })).toThrow(/clientId/);
      expect(() => provider({ introspectionEndpoint: 'ftp://x' })).toThrow(/introspectionEndpoint/);
    });

    it('refuses an audience it could not check: UserInfo alone does not say whom a token is for', () => {
      expect(() =>
        provider({
          introspectionEndpoint: undefined,
          userinfoEndpoint: 'https://as.example/userinfo',
          audience: 'etdi-gateway',
        }),
      ).toThrow(expect.objectContaining({ code: 'invalid-config', pointer: '/audience' }));
      // With introspection the audience is checked there, and UserInfo only adds claims.
      expect(() =>
        provider({ userinfoEndpoint: `${as.base}/userinfo`, audience: 'etdi-gateway' }),
      ).not.toThrow();
    });

    describe.each(['introspectionEndpoint', 'userinfoEndpoint', 'tokenEndpoint'] as const)(
      '%s',
      (key) => {
        const at =
          (url: string, allowLoopbackHttp = false) =>
          () =>
            provider({
              introspectionEndpoint: 'https://as.example/introspect',
              tokenEndpoint: 'https://as.example/token',
              [key]: url,
              allowLoopbackHttp,
            });
        it('must be https', () => {
          expect(at('http://as.example/x', true)).toThrow(
            expect.objectContaining({ code: 'invalid-config', pointer: `/${key}` }),
          );
          expect(at('https://as.example/x')).not.toThrow();
        });
        it('may be http on a loopback host only with allowLoopbackHttp', () => {
          for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:9000']) {
            expect(at(`http://${host}/x`), host).toThrow(/allowLoopbackHttp/);
            expect(at(`http://${host}/x`, true), host).not.toThrow();
          }
        });
        it('must not carry credentials', () => {
          expect(at('https://id:secret@as.example/x')).toThrow(/credentials/);
        });
      },
    );
    it('describes its configuration', () => {
      const p = provider();
      expect(p.requiredConfigKeys()).toEqual(['type', 'clientId', 'clientSecret']);
      expect(p.validateConfig({ type: 'oauth2', clientId: 'x' })).toMatchObject({
        valid: false,
        issues: [{ pointer: '/clientSecret', message: 'missing required key "clientSecret"' }],
      });
    });
  });
});
