import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthError, createOAuthService, type OAuthConfig } from '@etdi/oauth';
import { FAST_RETRY, clientCredentials, errorOf } from './support/harness.js';
import { TestOAuthServer } from './support/oauth-server.js';

let server: TestOAuthServer;

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** A fault of an injected dependency: the wait between retries fails. */
const fault = new Error('timer subsystem failed');
const failingSleep = () => Promise.reject(fault);

/** A configuration whose token URL is read lazily (from a vault, say), and the read fails. */
function configWithFailingGetter(): OAuthConfig {
  const config = { ...clientCredentials(server) };
  Object.defineProperty(config, 'tokenUrl', {
    enumerable: true,
    get() {
      throw new Error('vault unavailable');
    },
  });
  return config;
}

describe('unexpected failures', () => {
  describe('when an injected dependency fails during an acquisition', () => {
    it('resolves to internal-error with the fault as cause, and counts it', async () => {
      server.enqueue({ status: 503 });
      const oauth = createOAuthService({ sleep: failingSleep, retry: FAST_RETRY });
      const error = errorOf(await oauth.getAccessToken('upstream', clientCredentials(server)));
      expect(error).toBeInstanceOf(OAuthError);
      expect(error).toMatchObject({ name: 'OAuthError', code: 'internal-error' });
      expect(error.cause).toBe(fault);
      expect(error.correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(error.transient).toBe(false);
      expect(oauth.metrics.snapshot().failuresByCode).toEqual({ 'internal-error': 1 });
    });
  });

  describe('when reading the configuration throws', () => {
    it('getAccessToken resolves to internal-error, not invalid-argument', async () => {
      const oauth = createOAuthService();
      const error = errorOf(await oauth.getAccessToken('upstream', configWithFailingGetter()));
      expect(error).toMatchObject({ code: 'internal-error' });
      expect((error.cause as Error).message).toBe('vault unavailable');
      expect(server.tokenRequests).toHaveLength(0);
    });

    it('revoke resolves to internal-error', async () => {
      const oauth = createOAuthService();
      const result = await oauth.revoke('upstream', configWithFailingGetter());
      expect(errorOf(result)).toMatchObject({ code: 'internal-error' });
    });
  });

  describe('when an injected dependency fails during a revocation', () => {
    it('resolves to internal-error rather than revocation-failed', async () => {
      const oauth = createOAuthService({ sleep: failingSleep, retry: FAST_RETRY });
      const config = clientCredentials(server);
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      server.enqueueRevocation({ status: 503 });
      const error = errorOf(await oauth.revoke('upstream', config));
      expect(error).toMatchObject({ code: 'internal-error' });
      expect(error.cause).toBe(fault);
    });
  });

  describe('when an injected dependency fails during a code exchange', () => {
    it('resolves to internal-error', async () => {
      const oauth = createOAuthService({ sleep: failingSleep, retry: FAST_RETRY });
      const config: OAuthConfig = {
        ...clientCredentials(server),
        grantType: 'authorization_code',
        authorizationUrl: server.url('http', '/authorize'),
        redirectUri: 'http://127.0.0.1:9/callback',
      };
      const started = oauth.createAuthorizationUrl('upstream', config, { session: 'browser' });
      server.enqueue({ status: 503 });
      const result = await oauth.completeAuthorization(
        { state: started.state, code: 'any-code-value' },
        { session: 'browser' },
      );
      expect(errorOf(result)).toMatchObject({ code: 'internal-error' });
      expect(errorOf(result).cause).toBe(fault);
    });
  });
});

describe('OAuthError', () => {
  it('keeps a code list, a union and a guard that agree', async () => {
    const { OAUTH_ERROR_CODES, isOAuthErrorCode } = await import('@etdi/oauth');
    expect(OAUTH_ERROR_CODES).toContain('internal-error');
    expect(Object.isFrozen(OAUTH_ERROR_CODES)).toBe(true);
    for (const code of OAUTH_ERROR_CODES) expect(isOAuthErrorCode(code)).toBe(true);
    expect(isOAuthErrorCode('invalid_client')).toBe(false);
  });

  it('names the configuration member in pointer and keeps the cause', () => {
    const cause = new Error('root');
    const error = new OAuthError('invalid-config', 'bad', { pointer: '/tokenUrl', cause });
    expect(error).toMatchObject({
      name: 'OAuthError',
      code: 'invalid-config',
      pointer: '/tokenUrl',
    });
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toMatchObject({ code: 'invalid-config', pointer: '/tokenUrl' });
    expect(error.toJSON()).not.toHaveProperty('stack');
  });
});
