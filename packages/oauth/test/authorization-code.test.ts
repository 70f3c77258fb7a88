import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  OAuthError,
  computePkceChallenge,
  createOAuthService,
  createPkcePair,
  type AuthorizationUrlOptions,
  type CompleteAuthorizationOptions,
  type OAuthConfig,
  type OAuthServiceOptions,
} from '@etdi/oauth';
import { CapturingLogger, ManualClock, errorOf, tokenOf } from './support/harness.js';
import { DEFAULT_CLIENT, PUBLIC_CLIENT, TestOAuthServer } from './support/oauth-server.js';

let server: TestOAuthServer;

/** The session of the user's browser that starts (and completes) a flow. */
const BROWSER = 'session-of-the-users-browser';

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function authorizationCode(overrides: Partial<OAuthConfig> = {}): OAuthConfig {
  return {
    grantType: 'authorization_code',
    tokenUrl: server.url('http', '/token'),
    authorizationUrl: server.url('http', '/authorize'),
    redirectUri: 'http://127.0.0.1:9/callback',
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    scope: 'tools:read',
    resource: 'https://mcp.example.com/',
    allowLoopbackHttp: true,
    ...overrides,
  };
}

/** Plays the user's browser: follows the authorize URL and returns where it redirects. */
async function authorizeInBrowser(url: string): Promise<string> {
  const response = await request(url, { method: 'GET' });
  await response.body.dump();
  expect(response.statusCode).toBe(302);
  return String(response.headers.location);
}

describe('PKCE', () => {
  it('matches the RFC 7636 Appendix B example', () => {
    expect(computePkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes 43-character verifiers with S256 challenges', () => {
    const pair = createPkcePair();
    expect(pair.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pair.method).toBe('S256');
    expect(pair.challenge).toBe(computePkceChallenge(pair.verifier));
    expect(createPkcePair().verifier).not.toBe(pair.verifier);
  });

  it('refuses verifiers outside RFC 7636 §4.1', () => {
    expect(() => computePkceChallenge('short')).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
  });
});

describe('authorization code flow', () => {
  describe('round trip with PKCE S256', () => {
    it('builds the authorize URL, exchanges the code and caches the token', async () => {
      const oauth = createOAuthService();
      const config = authorizationCode();
      const started = oauth.createAuthorizationUrl('upstream', config, {
        projectId: 'p1',
        session: BROWSER,
      });
      const url = new URL(started.url);
      expect(url.origin + url.pathname).toBe(server.url('http', '/authorize'));
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: DEFAULT_CLIENT.clientId,
        redirect_uri: 'http://127.0.0.1:9/callback',
        scope: 'tools:read',
        state: started.state,
        code_challenge_method: 'S256',
        resource: 'https://mcp.example.com/',
      });
      expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(started.state).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const callback = await authorizeInBrowser(started.url);
      const result = await oauth.completeAuthorization(callback, { session: BROWSER });
      expect(result.ok).toBe(true);
      expect(server.isActive(tokenOf(result).value)).toBe(true);
      const exchange = server.tokenRequests[0]!;
      expect(exchange.grantType).toBe('authorization_code');
      expect(exchange.params.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(exchange.params.redirect_uri).toBe('http://127.0.0.1:9/callback');

      const cached = await oauth.getAccessToken('upstream', config, { projectId: 'p1' });
      expect(tokenOf(cached).value).toBe(tokenOf(result).value);
      expect(server.tokenRequests).toHaveLength(1);
    });

    it('accepts the callback as a request path (Fastify request.url) or a query object', async () => {
      const oauth = createOAuthService();
      const first = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        projectId: 'a',
        session: BROWSER,
      });
      const url = new URL(await authorizeInBrowser(first.url));
      const asPath = `${url.pathname}${url.search}`;
      expect((await oauth.completeAuthorization(asPath, { session: BROWSER })).ok).toBe(true);
      const second = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        projectId: 'b',
        session: BROWSER,
      });
      const query = Object.fromEntries(new URL(await authorizeInBrowser(second.url)).searchParams);
      expect((await oauth.completeAuthorization(query, { session: BROWSER })).ok).toBe(true);
    });

    it('works for a public client (no secret)', async () => {
      const oauth = createOAuthService();
      const { clientSecret: _, ...rest } = authorizationCode({ clientId: PUBLIC_CLIENT.clientId });
      const started = oauth.createAuthorizationUrl('upstream', rest, { session: BROWSER });
      const result = await oauth.completeAuthorization(await authorizeInBrowser(started.url), {
        session: BROWSER,
      });
      expect(result.ok).toBe(true);
      expect(server.tokenRequests[0]).toMatchObject({ authMethod: 'none' });
      expect(server.tokenRequests[0]!.params.client_id).toBe(PUBLIC_CLIENT.clientId);
    });

    it('refreshes with the refresh token it got, then asks for authorization again', async () => {
      const clock = new ManualClock();
      const oauth = createOAuthService({ now: clock.now });
      const config = authorizationCode();
      const started = oauth.createAuthorizationUrl('upstream', config, { session: BROWSER });
      await oauth.completeAuthorization(await authorizeInBrowser(started.url), {
        session: BROWSER,
      });
      clock.advance(3_400_000);
      const refreshed = await oauth.getAccessToken('upstream', config);
      expect(refreshed.ok).toBe(true);
      expect(server.tokenRequests[1]!.grantType).toBe('refresh_token');

      server.enqueue({ status: 400, body: { error: 'invalid_grant' } });
      clock.advance(4_000_000); // access token expired, refresh token now refused
      const again = await oauth.getAccessToken('upstream', config);
      expect(errorOf(again)).toMatchObject({ code: 'authorization-required' });
    });

    it('passes the code and verifier the server checks (a wrong verifier fails)', async () => {
      const oauth = createOAuthService();
      const started = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        session: BROWSER,
      });
      const callback = new URL(await authorizeInBrowser(started.url));
      // Replay the code against the token endpoint with another verifier, as an attacker would.
      const stolen = await request(server.url('http', '/token'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code')!,
          redirect_uri: 'http://127.0.0.1:9/callback',
          code_verifier: createPkcePair().verifier,
          client_id: DEFAULT_CLIENT.clientId,
          client_secret: DEFAULT_CLIENT.clientSecret,
        }).toString(),
      });
      expect(stolen.statusCode).toBe(400);
      expect(await stolen.body.json()).toMatchObject({ error: 'invalid_grant' });
      // The code is now used: the legitimate exchange fails cleanly too.
      const result = await oauth.completeAuthorization(callback, { session: BROWSER });
      expect(errorOf(result)).toMatchObject({ code: 'invalid-grant', attempts: 1 });
    });
  });

  describe('before any authorization', () => {
    it('reports authorization-required without a token request', async () => {
      const oauth = createOAuthService();
      const result = await oauth.getAccessToken('upstream', authorizationCode());
      expect(errorOf(result)).toMatchObject({ code: 'authorization-required' });
      expect(server.tokenRequests).toHaveLength(0);
    });
  });

  describe('when state does not match', () => {
    it('refuses a callback with an unknown state, without a token request', async () => {
      const logger = new CapturingLogger();
      const oauth = createOAuthService({ logger });
      const started = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        session: BROWSER,
      });
      const callback = new URL(await authorizeInBrowser(started.url));
      callback.searchParams.set('state', 'forged-state-value');
      const result = await oauth.completeAuthorization(callback, { session: BROWSER });
      expect(errorOf(result)).toBeInstanceOf(OAuthError);
      expect(errorOf(result)).toMatchObject({ code: 'state-mismatch' });
      expect(server.tokenRequests).toHaveLength(0);
      expect(logger.lines.some((l) => l.fields.code === 'state-mismatch')).toBe(true);
    });

    it('refuses a callback whose state another session started (login CSRF)', async () => {
      const logger = new CapturingLogger();
      const oauth = createOAuthService({ logger });
      // The attacker starts a flow in their own browser and lures the victim to its callback.
      const attackers = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        session: 'attacker-session',
      });
      const callback = await authorizeInBrowser(attackers.url);
      const result = await oauth.completeAuthorization(callback, { session: 'victim-session' });
      expect(errorOf(result)).toMatchObject({ name: 'OAuthError', code: 'state-mismatch' });
      expect(errorOf(result).message).toContain('not started by this session');
      expect(server.tokenRequests).toHaveLength(0);
      expect(logger.text()).not.toContain('victim-session');
      expect(logger.text()).not.toContain('attacker-session');
    });

    it('leaves the other session free to complete its own flow', async () => {
      const oauth = createOAuthService();
      const theirs = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        session: 'their-session',
      });
      const callback = await authorizeInBrowser(theirs.url);
      await oauth.completeAuthorization(callback, { session: BROWSER });
      const result = await oauth.completeAuthorization(callback, { session: 'their-session' });
      expect(result.ok).toBe(true);
    });

    it('refuses a callback without a session, leaving the flow open', async () => {
      const oauth = createOAuthService();
      const started = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        session: BROWSER,
      });
      const callback = await authorizeInBrowser(started.url);
      // As a JavaScript caller would, with no session at hand.
      for (const options of [undefined, {}, { session: '' }]) {
        const result = await oauth.completeAuthorization(
          callback,
          options as unknown as CompleteAuthorizationOptions,
        );
        expect(errorOf(result)).toMatchObject({ code: 'state-mismatch' });
      }
      expect(server.tokenRequests).toHaveLength(0);
      expect((await oauth.completeAuthorization(callback, { session: BROWSER })).ok).toBe(true);
    });

    it('refuses a callback without state', async () => {
      const oauth = createOAuthService();
      const result = await oauth.completeAuthorization({ code: 'abc' }, { session: BROWSER });
      expect(errorOf(result)).toMatchObject({ code: 'state-mismatch' });
    });

    it('accepts each state once', async () => {
      const oauth = createOAuthService();
      const started = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        session: BROWSER,
      });
      const callback = await authorizeInBrowser(started.url);
      expect((await oauth.completeAuthorization(callback, { session: BROWSER })).ok).toBe(true);
      expect(
        errorOf(await oauth.completeAuthorization(callback, { session: BROWSER })),
      ).toMatchObject({
        code: 'state-mismatch',
      });
      expect(server.tokenRequests).toHaveLength(1);
    });

    it('refuses an expired authorization', async () => {
      const clock = new ManualClock();
      const oauth = createOAuthService({ now: clock.now, authorizationTtlMs: 60_000 });
      const started = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        session: BROWSER,
      });
      const callback = await authorizeInBrowser(started.url);
      clock.advance(60_001);
      expect(
        errorOf(await oauth.completeAuthorization(callback, { session: BROWSER })),
      ).toMatchObject({
        code: 'state-mismatch',
      });
    });
  });

  describe('session binding', () => {
    it('refuses to start a flow without a session', () => {
      const oauth = createOAuthService();
      for (const options of [undefined, {}, { session: '' }, { session: 42 }]) {
        expect(() =>
          oauth.createAuthorizationUrl(
            'upstream',
            authorizationCode(),
            options as unknown as AuthorizationUrlOptions,
          ),
        ).toThrow(expect.objectContaining({ name: 'OAuthError', code: 'invalid-argument' }));
      }
    });
  });

  describe('when many authorizations are pending', () => {
    function service(options: OAuthServiceOptions = {}) {
      const clock = new ManualClock();
      const oauth = createOAuthService({
        now: clock.now,
        authorizationTtlMs: 600_000,
        maxPendingAuthorizations: 10,
        maxPendingAuthorizationsPerSession: 2,
        ...options,
      });
      const start = (session: string) =>
        oauth.createAuthorizationUrl('upstream', authorizationCode(), { session });
      return { oauth, clock, start };
    }

    it('refuses a flood instead of evicting other users’ pending flows', async () => {
      const { oauth, start } = service();
      const victim = start('victim');
      for (let i = 0; i < 9; i++) start(`flood-${i}`);
      for (let i = 9; i < 20; i++) {
        expect(() => start(`flood-${i}`)).toThrow(
          expect.objectContaining({ name: 'OAuthError', code: 'too-many-authorizations' }),
        );
      }
      const result = await oauth.completeAuthorization(await authorizeInBrowser(victim.url), {
        session: 'victim',
      });
      expect(result.ok).toBe(true);
    });

    it('makes room by dropping expired flows only, oldest first', async () => {
      const { oauth, clock, start } = service();
      const early = Array.from({ length: 5 }, (_, i) => start(`early-${i}`));
      clock.advance(300_000);
      const late = Array.from({ length: 5 }, (_, i) => start(`late-${i}`));
      expect(() => start('one-more')).toThrow(
        expect.objectContaining({ code: 'too-many-authorizations' }),
      );
      clock.advance(300_000); // the early ones expire; the late ones have 300 s left
      for (let i = 0; i < 5; i++) start(`next-${i}`);
      expect(() => start('one-more')).toThrow(
        expect.objectContaining({ code: 'too-many-authorizations' }),
      );
      expect(
        errorOf(
          await oauth.completeAuthorization(await authorizeInBrowser(early[0]!.url), {
            session: 'early-0',
          }),
        ),
      ).toMatchObject({ code: 'state-mismatch' });
      const result = await oauth.completeAuthorization(await authorizeInBrowser(late[4]!.url), {
        session: 'late-4',
      });
      expect(result.ok).toBe(true);
    });

    it('caps each session, replacing only that session’s oldest flow', async () => {
      const { oauth, start } = service();
      const other = start('other');
      const first = start('busy');
      const second = start('busy');
      const third = start('busy'); // over the cap of 2: "first" goes
      const complete = async (started: { url: string }, session: string) =>
        oauth.completeAuthorization(await authorizeInBrowser(started.url), { session });
      expect(errorOf(await complete(first, 'busy'))).toMatchObject({ code: 'state-mismatch' });
      expect((await complete(second, 'busy')).ok).toBe(true);
      expect((await complete(third, 'busy')).ok).toBe(true);
      expect((await complete(other, 'other')).ok).toBe(true);
    });

    it('frees a slot when a flow completes', async () => {
      const { oauth, start } = service({ maxPendingAuthorizations: 1 });
      const started = start('a');
      expect(() => start('b')).toThrow(
        expect.objectContaining({ code: 'too-many-authorizations' }),
      );
      await oauth.completeAuthorization(await authorizeInBrowser(started.url), { session: 'a' });
      expect(() => start('b')).not.toThrow();
    });

    it.each([0, -1, 1.5])('refuses a bound of %s', (bound) => {
      expect(() => createOAuthService({ maxPendingAuthorizations: bound })).toThrow(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
      expect(() => createOAuthService({ maxPendingAuthorizationsPerSession: bound })).toThrow(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
    });
  });

  describe('when the user denies the authorization', () => {
    it('reports authorization-denied with the server error', async () => {
      server.settings.denyAuthorization = true;
      const oauth = createOAuthService();
      const started = oauth.createAuthorizationUrl('upstream', authorizationCode(), {
        session: BROWSER,
      });
      const result = await oauth.completeAuthorization(await authorizeInBrowser(started.url), {
        session: BROWSER,
      });
      expect(errorOf(result)).toMatchObject({
        code: 'authorization-denied',
        oauthError: 'access_denied',
      });
      expect(errorOf(result).message).toContain('the user said no');
      expect(server.tokenRequests).toHaveLength(0);
    });
  });

  describe('with OAuth 2.0 and plain PKCE', () => {
    it('sends the verifier as the challenge', async () => {
      const oauth = createOAuthService();
      const config = authorizationCode({ version: '2.0', codeChallengeMethod: 'plain' });
      const started = oauth.createAuthorizationUrl('upstream', config, { session: BROWSER });
      expect(new URL(started.url).searchParams.get('code_challenge_method')).toBe('plain');
      const result = await oauth.completeAuthorization(await authorizeInBrowser(started.url), {
        session: BROWSER,
      });
      expect(result.ok).toBe(true);
      expect(server.tokenRequests[0]!.params.code_verifier).toBe(
        new URL(started.url).searchParams.get('code_challenge'),
      );
    });
  });

  describe('with a configuration of another grant', () => {
    it('refuses to start', () => {
      const oauth = createOAuthService();
      expect(() =>
        oauth.createAuthorizationUrl(
          'upstream',
          { tokenUrl: 'https://auth.example.com/token', clientId: 'x', clientSecret: 'y' },
          { session: BROWSER },
        ),
      ).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    });
  });
});
