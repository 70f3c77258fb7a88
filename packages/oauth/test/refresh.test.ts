import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryTokenCache, createOAuthService, type OAuthConfig } from '@etdi/oauth';
import {
  CapturingLogger,
  FAST_RETRY,
  ManualClock,
  clientCredentials,
  errorOf,
  recordingSleep,
  tokenOf,
} from './support/harness.js';
import { DEFAULT_CLIENT, TestOAuthServer } from './support/oauth-server.js';

let server: TestOAuthServer;

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function service() {
  const clock = new ManualClock();
  const logger = new CapturingLogger();
  const oauth = createOAuthService({
    now: clock.now,
    logger,
    sleep: recordingSleep().sleep,
    retry: FAST_RETRY,
  });
  return { oauth, clock, logger };
}

describe('token expiry and proactive refresh', () => {
  describe('without a refresh token', () => {
    it('serves the cached token until the buffer, then acquires a new one', async () => {
      server.settings.expiresIn = 3600;
      const { oauth, clock } = service();
      const config = clientCredentials(server, { tokenExpiryBuffer: '300s' });
      const first = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(first).expiresAt).toBe(clock.now() + 3_600_000);

      clock.advance(3_299_000); // 301 s before expiry: still outside the buffer
      expect(tokenOf(await oauth.getAccessToken('upstream', config)).value).toBe(
        tokenOf(first).value,
      );
      expect(server.tokenRequests).toHaveLength(1);

      clock.advance(2_000); // 299 s before expiry: inside the buffer
      const second = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(second).value).not.toBe(tokenOf(first).value);
      expect(server.tokenRequests).toHaveLength(2);
      expect(server.tokenRequests[1]!.grantType).toBe('client_credentials');
      expect(oauth.metrics.snapshot().refreshes).toBe(1);
    });

    it('reads the buffer as a duration with a unit', async () => {
      const { oauth, clock } = service();
      const config = clientCredentials(server, { tokenExpiryBuffer: '2m' });
      const first = await oauth.getAccessToken('upstream', config);
      clock.advance(3_600_000 - 121_000); // 121 s before expiry: outside a 2-minute buffer
      expect(tokenOf(await oauth.getAccessToken('upstream', config)).value).toBe(
        tokenOf(first).value,
      );
      clock.advance(2_000); // 119 s before expiry: inside it
      await oauth.getAccessToken('upstream', config);
      expect(server.tokenRequests).toHaveLength(2);
    });

    it('acquires anew once the token has expired', async () => {
      const { oauth, clock } = service();
      const config = clientCredentials(server);
      const first = await oauth.getAccessToken('upstream', config);
      clock.advance(3_600_000 + 1);
      const second = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(second).value).not.toBe(tokenOf(first).value);
    });

    it('never lets the buffer swallow a short-lived token', async () => {
      server.settings.expiresIn = 60; // shorter than the 300 s default buffer
      const { oauth, clock } = service();
      const config = clientCredentials(server);
      await oauth.getAccessToken('upstream', config);
      clock.advance(29_000);
      await oauth.getAccessToken('upstream', config);
      expect(server.tokenRequests).toHaveLength(1);
      clock.advance(2_000); // past half the lifetime
      await oauth.getAccessToken('upstream', config);
      expect(server.tokenRequests).toHaveLength(2);
    });

    it('keeps serving the current token when a proactive refresh fails', async () => {
      const { oauth, clock, logger } = service();
      const config = clientCredentials(server);
      const first = await oauth.getAccessToken('upstream', config);
      clock.advance(3_400_000); // inside the buffer, not expired
      server.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
      const during = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(during).value).toBe(tokenOf(first).value);
      expect(logger.lines.some((l) => l.message.startsWith('token refresh failed; serving'))).toBe(
        true,
      );
      // Within the retry interval the server is left alone; after it, the service tries again.
      clock.advance(29_000);
      expect(tokenOf(await oauth.getAccessToken('upstream', config)).value).toBe(
        tokenOf(first).value,
      );
      expect(server.tokenRequests).toHaveLength(4);
      clock.advance(1_001);
      server.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
      expect(tokenOf(await oauth.getAccessToken('upstream', config)).value).toBe(
        tokenOf(first).value,
      );
      expect(server.tokenRequests).toHaveLength(7);
      clock.advance(170_000); // expired now
      server.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
      const after = await oauth.getAccessToken('upstream', config);
      expect(errorOf(after)).toMatchObject({ code: 'server-error' });
    });
  });

  describe('with a refresh token', () => {
    it('uses the refresh token, and keeps it when the server does not rotate it', async () => {
      server.settings.issueRefreshTokens = true;
      const { oauth, clock } = service();
      const config = clientCredentials(server);
      const first = await oauth.getAccessToken('upstream', config);
      const refreshToken = server.tokenRequests.length; // 1
      expect(refreshToken).toBe(1);

      clock.advance(3_400_000);
      const second = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(second).value).not.toBe(tokenOf(first).value);
      expect(server.tokenRequests[1]!.grantType).toBe('refresh_token');
      const used = server.tokenRequests[1]!.params.refresh_token as string;
      expect(used).toMatch(/^rt-/);
      expect(server.tokenRequests[1]!.params.scope).toBe('tools:read tools:call');

      clock.advance(3_400_000);
      await oauth.getAccessToken('upstream', config);
      expect(server.tokenRequests[2]!.grantType).toBe('refresh_token');
      expect(server.tokenRequests[2]!.params.refresh_token).toBe(used);
    });

    it('stores a rotated refresh token', async () => {
      server.settings.issueRefreshTokens = true;
      server.settings.rotateRefreshTokens = true;
      const { oauth, clock } = service();
      const config = clientCredentials(server);
      await oauth.getAccessToken('upstream', config);
      clock.advance(3_400_000);
      await oauth.getAccessToken('upstream', config);
      clock.advance(3_400_000);
      const third = await oauth.getAccessToken('upstream', config);
      expect(third.ok).toBe(true);
      const [, second, last] = server.tokenRequests;
      expect(last!.grantType).toBe('refresh_token');
      expect(last!.params.refresh_token).not.toBe(second!.params.refresh_token);
    });

    it('uses the refresh token after the access token expired', async () => {
      server.settings.issueRefreshTokens = true;
      const { oauth, clock } = service();
      const config = clientCredentials(server);
      await oauth.getAccessToken('upstream', config);
      clock.advance(10 * 3_600_000);
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      expect(server.tokenRequests[1]!.grantType).toBe('refresh_token');
    });

    describe('kept apart from the access token', () => {
      function serviceWithClockedCache() {
        const clock = new ManualClock();
        const cache = new MemoryTokenCache({ now: clock.now });
        const oauth = createOAuthService({
          cache,
          now: clock.now,
          sleep: recordingSleep().sleep,
          retry: FAST_RETRY,
        });
        return { oauth, clock, cache };
      }

      it('uses it once the access token entry itself has expired', async () => {
        server.settings.issueRefreshTokens = true;
        const { oauth, clock, cache } = serviceWithClockedCache();
        const config = clientCredentials(server);
        const options = { configId: 'cfg' };
        const key = JSON.stringify(['upstream', 'cfg', null]);
        await oauth.getAccessToken('upstream', config, options);
        clock.advance(3_600_000);
        expect(cache.get('access', key)).toBeUndefined(); // gone with the access token
        expect(cache.get('refresh', key)).toBeDefined();
        expect((await oauth.getAccessToken('upstream', config, options)).ok).toBe(true);
        expect(server.tokenRequests.map((r) => r.grantType)).toEqual([
          'client_credentials',
          'refresh_token',
        ]);
      });

      it('keeps it until its own expiry when the server does not rotate it', async () => {
        server.settings.issueRefreshTokens = true;
        server.settings.refreshExpiresIn = 7200;
        const { oauth, clock } = serviceWithClockedCache();
        const config = clientCredentials(server);
        await oauth.getAccessToken('upstream', config); // refresh token good for 7200 s
        clock.advance(3_400_000);
        await oauth.getAccessToken('upstream', config); // refreshed, no new refresh token
        clock.advance(3_400_000); // 6800 s: the refresh token still has 400 s
        await oauth.getAccessToken('upstream', config);
        clock.advance(3_400_000); // 10 200 s: it expired, so a new grant
        await oauth.getAccessToken('upstream', config);
        expect(server.tokenRequests.map((r) => r.grantType)).toEqual([
          'client_credentials',
          'refresh_token',
          'refresh_token',
          'client_credentials',
        ]);
      });

      it('keeps it for refreshTokenRetentionMs when the server does not say', async () => {
        server.settings.issueRefreshTokens = true;
        const clock = new ManualClock();
        const oauth = createOAuthService({
          cache: new MemoryTokenCache({ now: clock.now }),
          now: clock.now,
          refreshTokenRetentionMs: 86_400_000,
        });
        const config = clientCredentials(server);
        await oauth.getAccessToken('upstream', config);
        clock.advance(86_400_000);
        await oauth.getAccessToken('upstream', config);
        expect(server.tokenRequests.map((r) => r.grantType)).toEqual([
          'client_credentials',
          'client_credentials',
        ]);
      });
    });

    it('falls back to a new grant when the refresh token is refused', async () => {
      server.settings.issueRefreshTokens = true;
      const { oauth, clock, logger } = service();
      const config = clientCredentials(server);
      await oauth.getAccessToken('upstream', config);
      server.enqueue({ status: 400, body: { error: 'invalid_grant' } });
      clock.advance(3_400_000);
      const result = await oauth.getAccessToken('upstream', config);
      expect(result.ok).toBe(true);
      expect(server.tokenRequests.map((r) => r.grantType)).toEqual([
        'client_credentials',
        'refresh_token',
        'client_credentials',
      ]);
      expect(logger.lines.some((l) => l.message.startsWith('refresh token refused'))).toBe(true);
    });
  });

  describe('with the refresh_token grant', () => {
    const refreshGrant = (refreshToken: string): OAuthConfig => ({
      grantType: 'refresh_token',
      tokenUrl: server.url('http', '/token'),
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      refreshToken,
      allowLoopbackHttp: true,
    });

    it('redeems the configured refresh token, then the one it gets back', async () => {
      const provisioned = server.provisionRefreshToken(DEFAULT_CLIENT.clientId, 'tools:read');
      server.settings.rotateRefreshTokens = true;
      const { oauth, clock } = service();
      const config = refreshGrant(provisioned);
      const first = await oauth.getAccessToken('upstream', config);
      expect(first.ok).toBe(true);
      expect(tokenOf(first).scope).toBe('tools:read');
      expect(server.tokenRequests[0]).toMatchObject({ grantType: 'refresh_token' });
      expect(server.tokenRequests[0]!.params.refresh_token).toBe(provisioned);
      clock.advance(3_400_000);
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      expect(server.tokenRequests[1]!.grantType).toBe('refresh_token');
      expect(server.tokenRequests[1]!.params.refresh_token).not.toBe(provisioned);
    });

    it('reports invalid-grant when the configured refresh token is refused', async () => {
      const { oauth } = service();
      const result = await oauth.getAccessToken('upstream', refreshGrant('rt-never-issued-0000'));
      expect(errorOf(result)).toMatchObject({ code: 'invalid-grant', attempts: 1 });
      expect(server.tokenRequests).toHaveLength(1);
    });

    it('does not redeem the same refused token twice', async () => {
      const provisioned = server.provisionRefreshToken(DEFAULT_CLIENT.clientId);
      const { oauth, clock } = service();
      const config = refreshGrant(provisioned);
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      // The server does not rotate, so the cached refresh token is the configured one.
      server.enqueue({ status: 400, body: { error: 'invalid_grant' } });
      clock.advance(4_000_000);
      const result = await oauth.getAccessToken('upstream', config);
      expect(errorOf(result)).toMatchObject({ code: 'invalid-grant' });
      expect(server.tokenRequests).toHaveLength(2);
      expect(server.tokenRequests[1]!.params.refresh_token).toBe(provisioned);
    });
  });
});
