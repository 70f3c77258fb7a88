import { formUrlEncode } from '@etdi/core';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessToken,
  createOAuthService,
  type OAuthConfig,
  type TokenCache,
  type TokenResult,
} from '@etdi/oauth';
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

/** A client secret with characters that URL, form and base64 encodings all change. */
const AWKWARD_SECRET = 'p@ss word+/=secret-123';

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());

describe('secrets', () => {
  describe('AccessToken', () => {
    const token = new AccessToken('at-very-secret-token-9876', 1, 'a');

    it('masks itself in toString, JSON and util.inspect', () => {
      expect(String(token)).toBe('Bearer ****9876');
      expect(JSON.stringify({ token })).not.toContain('very-secret');
      expect(inspect(token)).not.toContain('very-secret');
      expect(inspect({ result: { token } }, { depth: 5 })).not.toContain('very-secret');
      expect(Object.keys(token)).not.toContain('value');
    });

    it('still hands the raw value to whoever asks for it', () => {
      expect(token.value).toBe('at-very-secret-token-9876');
      expect(token.authorization).toBe('Bearer at-very-secret-token-9876');
    });
  });

  describe('across every flow', () => {
    it('never appear in a log line, an error message or a serialized result', async () => {
      server.reset();
      server.settings.issueRefreshTokens = true;
      const logger = new CapturingLogger();
      const clock = new ManualClock();
      const oauth = createOAuthService({
        logger,
        now: clock.now,
        sleep: recordingSleep().sleep,
        retry: FAST_RETRY,
      });
      const config = clientCredentials(server);
      const results: TokenResult[] = [];
      const errors: unknown[] = [];

      // success, cache hit, failure with retries, a server that echoes the secret back
      results.push(await oauth.getAccessToken('s', config));
      results.push(await oauth.getAccessToken('s', config));
      server.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
      results.push(await oauth.getAccessToken('t', config));
      server.enqueue({
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: `bad client_secret=${DEFAULT_CLIENT.clientSecret}`,
        },
      });
      results.push(await oauth.getAccessToken('u', config));
      // refresh with the refresh token, then a refused refresh token echoed back
      clock.advance(3_400_000);
      results.push(await oauth.getAccessToken('s', config));
      const refreshTokens = server.tokenRequests
        .map((r) => r.params.refresh_token)
        .filter((v): v is string => typeof v === 'string');
      server.enqueue(
        {
          status: 400,
          body: { error: 'invalid_grant', error_description: `no ${refreshTokens[0]}` },
        },
        { status: 401, body: { error: 'invalid_client' } },
      );
      clock.advance(3_400_000);
      results.push(await oauth.getAccessToken('s', config));
      // wrong secret, basic and post
      const wrong: OAuthConfig = clientCredentials(server, { clientSecret: 'wrong-secret-4242-x' });
      results.push(await oauth.getAccessToken('w', wrong));
      results.push(await oauth.getAccessToken('w2', { ...wrong, useBasicAuth: false }));
      // authorization code with a denied and a completed flow
      const code: OAuthConfig = {
        ...config,
        grantType: 'authorization_code',
        authorizationUrl: server.url('http', '/authorize'),
        redirectUri: 'http://127.0.0.1:9/callback',
      };
      const started = oauth.createAuthorizationUrl('ac', code, { session: 'browser-session-1' });
      results.push(
        await oauth.completeAuthorization(
          { state: started.state, code: 'code-xyz-not-issued' },
          { session: 'browser-session-1' },
        ),
      );
      // revocation that fails, echoing the token it was asked to revoke (the refreshed one)
      const live = tokenOf(results[4]!).value;
      server.enqueueRevocation({
        status: 400,
        body: { error: 'unsupported_token_type', error_description: `token ${live}` },
      });
      const revoked = await oauth.revoke('s', config);
      errors.push(errorOf(revoked));
      // a secret with characters every encoding changes, and a server that echoes the request
      // (body and Authorization header) or the secret URL- and form-encoded
      const awkward = clientCredentials(server, { clientSecret: AWKWARD_SECRET });
      server.enqueue({
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: `bad client_secret=${encodeURIComponent(AWKWARD_SECRET)} / ${new URLSearchParams({ s: AWKWARD_SECRET }).toString()}`,
        },
      });
      results.push(await oauth.getAccessToken('echo-encoded', awkward));
      server.settings.echoRequests = true;
      results.push(await oauth.getAccessToken('echo-basic', awkward));
      results.push(await oauth.getAccessToken('echo-post', { ...awkward, useBasicAuth: false }));
      server.settings.echoRequests = false;

      const verifiers = server.tokenRequests
        .map((r) => r.params.code_verifier)
        .filter((v): v is string => typeof v === 'string');
      expect(verifiers).toHaveLength(1);
      const secrets = [
        ...verifiers,
        'code-xyz-not-issued',
        DEFAULT_CLIENT.clientSecret,
        'wrong-secret-4242-x',
        'browser-session-1',
        Buffer.from(`${DEFAULT_CLIENT.clientId}:${DEFAULT_CLIENT.clientSecret}`).toString('base64'),
        ...refreshTokens,
        ...results.flatMap((r) => (r.ok ? [r.token.value] : [])),
        AWKWARD_SECRET,
        encodeURIComponent(AWKWARD_SECRET),
        formUrlEncode(AWKWARD_SECRET),
        Buffer.from(`${DEFAULT_CLIENT.clientId}:${formUrlEncode(AWKWARD_SECRET)}`).toString(
          'base64',
        ),
        'p@ss',
        'p%40ss',
      ];
      expect(secrets.length).toBeGreaterThan(6);
      expect(results.some((r) => !r.ok)).toBe(true);
      errors.push(...results.flatMap((r) => (r.ok ? [] : [r.error])));

      const haystacks = [
        logger.text(),
        ...results.map((r) => JSON.stringify(r)),
        ...results.map((r) => inspect(r, { depth: 10 })),
        ...errors.map((e) => `${(e as Error).message} ${JSON.stringify(e)}`),
        inspect(oauth, { depth: 10 }),
      ];
      for (const secret of secrets) {
        for (const text of haystacks) expect(text).not.toContain(secret);
      }
      expect(logger.text()).toContain('****'); // the echoed secret was masked, not dropped
      // The echoing server was heard (the echo reached the message), just without the secret.
      const echoed = errorOf(results.at(-1)!).message;
      expect(echoed).toContain('client_secret=****');
      expect(echoed).toContain('grant_type=client_credentials');
    });
  });

  describe('when the cache fails', () => {
    it('keeps working from this process and logs cache-error without secrets', async () => {
      server.reset();
      const refused = () => Promise.reject(new Error('connection refused'));
      const broken: TokenCache = {
        get: refused,
        set: () => {
          throw new Error('connection refused');
        },
        delete: refused,
      };
      const logger = new CapturingLogger();
      const oauth = createOAuthService({ cache: broken, logger });
      const config = clientCredentials(server);
      const first = await oauth.getAccessToken('broken', config);
      const second = await oauth.getAccessToken('broken', config);
      expect(first.ok).toBe(true);
      expect(tokenOf(second).value).toBe(tokenOf(first).value);
      expect(server.tokenRequests).toHaveLength(1);
      const warnings = logger.lines.filter((l) => l.fields.code === 'cache-error');
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      expect(logger.text()).not.toContain(tokenOf(first).value);
    });
  });
});
