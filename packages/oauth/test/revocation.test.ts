import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOAuthService } from '@etdi/oauth';
import {
  FAST_RETRY,
  clientCredentials,
  errorOf,
  recordingSleep,
  tokenOf,
} from './support/harness.js';
import { TestOAuthServer } from './support/oauth-server.js';

let server: TestOAuthServer;

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const service = () => createOAuthService({ sleep: recordingSleep().sleep, retry: FAST_RETRY });

describe('revoke', () => {
  describe('when the token has a refresh token', () => {
    it('revokes both (refresh token first), clears the cache and counts them', async () => {
      server.settings.issueRefreshTokens = true;
      const oauth = service();
      const config = clientCredentials(server);
      const token = tokenOf(await oauth.getAccessToken('upstream', config));
      const result = await oauth.revoke('upstream', config);
      expect(result).toEqual({ ok: true, revoked: ['refresh_token', 'access_token'] });
      expect(server.revocationRequests.map((r) => r.hint)).toEqual([
        'refresh_token',
        'access_token',
      ]);
      expect(server.revocationRequests[1]!.token).toBe(token.value);
      expect(server.isActive(token.value)).toBe(false);
      expect(server.introspect(server.revocationRequests[0]!.token)?.revoked).toBe(true);
      expect(oauth.metrics.snapshot().revocations).toBe(2);

      const next = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(next).value).not.toBe(token.value);
      expect(server.tokenRequests.map((r) => r.grantType)).toEqual([
        'client_credentials',
        'client_credentials',
      ]);
    });
  });

  describe('when the revocation endpoint fails', () => {
    it('reports revocation-failed but still clears the cache', async () => {
      const oauth = service();
      const config = clientCredentials(server);
      const token = tokenOf(await oauth.getAccessToken('upstream', config));
      server.enqueueRevocation({ status: 500 }, { status: 500 }, { status: 500 });
      const result = await oauth.revoke('upstream', config);
      expect(errorOf(result)).toMatchObject({
        code: 'revocation-failed',
        status: 500,
        attempts: 3,
      });
      expect(errorOf(result).cause).toMatchObject({ code: 'server-error' });
      const next = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(next).value).not.toBe(token.value);
    });

    it('does not retry a 4xx', async () => {
      const oauth = service();
      const config = clientCredentials(server);
      await oauth.getAccessToken('upstream', config);
      server.enqueueRevocation({ status: 400, body: { error: 'unsupported_token_type' } });
      const result = await oauth.revoke('upstream', config);
      expect(errorOf(result)).toMatchObject({
        code: 'revocation-failed',
        oauthError: 'unsupported_token_type',
        attempts: 1,
      });
    });
  });

  describe('without a revocation URL', () => {
    it('only clears the cache', async () => {
      const oauth = service();
      const config = clientCredentials(server, { revocationUrl: undefined });
      const token = tokenOf(await oauth.getAccessToken('upstream', config));
      expect(await oauth.revoke('upstream', config)).toEqual({ ok: true, revoked: [] });
      expect(server.revocationRequests).toHaveLength(0);
      expect(server.isActive(token.value)).toBe(true);
      expect(tokenOf(await oauth.getAccessToken('upstream', config)).value).not.toBe(token.value);
    });
  });

  describe('with nothing cached', () => {
    it('revokes nothing', async () => {
      const oauth = service();
      expect(await oauth.revoke('upstream', clientCredentials(server))).toEqual({
        ok: true,
        revoked: [],
      });
      expect(server.revocationRequests).toHaveLength(0);
    });
  });
});

describe('invalidate', () => {
  it('drops the cached token without revoking it', async () => {
    const oauth = service();
    const config = clientCredentials(server);
    const token = tokenOf(await oauth.getAccessToken('upstream', config));
    await oauth.invalidate('upstream', config);
    expect(server.revocationRequests).toHaveLength(0);
    expect(tokenOf(await oauth.getAccessToken('upstream', config)).value).not.toBe(token.value);
  });
});
