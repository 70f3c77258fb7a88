import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AccessToken,
  createOAuthService,
  type OAuthServiceOptions,
  type RetryOptions,
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
let trustTestCa: Agent;

beforeAll(async () => {
  server = await TestOAuthServer.start();
  trustTestCa = new Agent({ connect: { ca: server.ca.cert } });
});
afterAll(async () => {
  await trustTestCa.close();
  await server.close();
});
beforeEach(() => server.reset());

function service(options: OAuthServiceOptions = {}) {
  const logger = new CapturingLogger();
  const { sleep, waits } = recordingSleep();
  const clock = new ManualClock();
  const oauth = createOAuthService({
    logger,
    sleep,
    now: clock.now,
    retry: FAST_RETRY,
    dispatcher: trustTestCa,
    ...options,
  });
  return { oauth, logger, waits, clock };
}

describe('getAccessToken with client credentials', () => {
  describe('when the server grants the token', () => {
    it('returns it over HTTPS and caches it', async () => {
      const { oauth } = service();
      const config = clientCredentials(server, { tokenUrl: server.url('https', '/token') });
      const first = await oauth.getAccessToken('upstream', config);
      expect(first.ok).toBe(true);
      expect(tokenOf(first)).toBeInstanceOf(AccessToken);
      expect(server.isActive(tokenOf(first).value)).toBe(true);
      expect(tokenOf(first).scope).toBe('tools:read tools:call');
      const second = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(second).value).toBe(tokenOf(first).value);
      expect(server.tokenRequests).toHaveLength(1);
      expect(server.tokenRequests[0]).toMatchObject({
        listener: 'https',
        grantType: 'client_credentials',
        clientId: DEFAULT_CLIENT.clientId,
        authMethod: 'basic',
      });
    });

    it('sends the configured parameters and headers', async () => {
      const { oauth } = service();
      const config = clientCredentials(server, {
        audience: 'https://api.example.com',
        organization: 'org_123',
        resource: ['https://mcp.example.com/', 'https://mcp2.example.com/'],
        additionalParams: { tenant: 'acme' },
        customHeaders: { 'x-request-source': 'etdi-gateway' },
      });
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      const seen = server.tokenRequests[0]!;
      expect(seen.params).toMatchObject({
        grant_type: 'client_credentials',
        scope: 'tools:read tools:call',
        audience: 'https://api.example.com',
        organization: 'org_123',
        resource: ['https://mcp.example.com/', 'https://mcp2.example.com/'],
        tenant: 'acme',
      });
      expect(seen.params).not.toHaveProperty('client_secret');
      expect(seen.headers['x-request-source']).toBe('etdi-gateway');
      expect(seen.headers['accept']).toBe('application/json');
    });

    it('authenticates with client_secret_post when useBasicAuth is false', async () => {
      const { oauth } = service();
      const config = clientCredentials(server, { useBasicAuth: false });
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      expect(server.tokenRequests[0]).toMatchObject({ authMethod: 'post' });
      expect(server.tokenRequests[0]!.headers.authorization).toBeUndefined();
    });

    it('form-encodes Basic credentials (RFC 6749 §2.3.1)', async () => {
      server.registerClient({ clientId: 'id with:colon', clientSecret: 'se cret+/=%' });
      const { oauth } = service();
      const config = clientCredentials(server, {
        clientId: 'id with:colon',
        clientSecret: 'se cret+/=%',
      });
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      expect(server.tokenRequests[0]).toMatchObject({ authMethod: 'basic' });
    });

    it('keys the cache by server, configuration and project', async () => {
      const { oauth } = service();
      const config = clientCredentials(server);
      const a = await oauth.getAccessToken('upstream', config, { projectId: 'a' });
      const b = await oauth.getAccessToken('upstream', config, { projectId: 'b' });
      const other = await oauth.getAccessToken('other', config, { projectId: 'a' });
      const id = await oauth.getAccessToken('upstream', config, { projectId: 'a', configId: 'v2' });
      const again = await oauth.getAccessToken('upstream', config, { projectId: 'a' });
      const values = new Set([a, b, other, id].map((r) => tokenOf(r).value));
      expect(values.size).toBe(4);
      expect(tokenOf(again).value).toBe(tokenOf(a).value);
      expect(server.tokenRequests).toHaveLength(4);
    });

    it('keeps no project apart from the empty project id', async () => {
      // The reviewer's repro: `projectId: ''` used to share the token of "no project".
      const { oauth } = service();
      const config = clientCredentials(server);
      const none = await oauth.getAccessToken('upstream', config);
      const empty = await oauth.getAccessToken('upstream', config, { projectId: '' });
      expect(tokenOf(empty).value).not.toBe(tokenOf(none).value);
      expect(server.tokenRequests).toHaveLength(2);
      expect(tokenOf(await oauth.getAccessToken('upstream', config)).value).toBe(
        tokenOf(none).value,
      );
      expect(tokenOf(await oauth.getAccessToken('upstream', config, { projectId: '' })).value).toBe(
        tokenOf(empty).value,
      );
      expect(server.tokenRequests).toHaveLength(2);
    });

    it('does not share one acquisition between no project and the empty project id', async () => {
      const { oauth } = service();
      const config = clientCredentials(server);
      const [none, empty] = await Promise.all([
        oauth.getAccessToken('upstream', config),
        oauth.getAccessToken('upstream', config, { projectId: '' }),
      ]);
      expect(tokenOf(empty).value).not.toBe(tokenOf(none).value);
      expect(server.tokenRequests).toHaveLength(2);
    });

    it('keeps triples apart whatever characters their names hold', async () => {
      const { oauth } = service();
      const config = clientCredentials(server);
      const triples: [string, string, string | undefined][] = [
        ['a:b', 'c', undefined],
        ['a', 'b:c', undefined],
        ['a', 'b', 'c'],
        ['a', 'b', ':c'],
        ['a', 'b:', 'c'],
        ['a","b', 'c', undefined],
        ['a', 'b","c', undefined],
        ['a%3Ab', 'c', undefined],
        ['a', 'b', 'null'],
        ['a', 'b', undefined],
      ];
      const values = new Set<string>();
      for (const [server_, configId, projectId] of triples) {
        const result = await oauth.getAccessToken(server_, config, { configId, projectId });
        values.add(tokenOf(result).value);
      }
      expect(values.size).toBe(triples.length);
    });

    it('shares the cache between equal configuration objects by fingerprint', async () => {
      const { oauth } = service();
      await oauth.getAccessToken('upstream', clientCredentials(server));
      await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(server.tokenRequests).toHaveLength(1);
    });

    it('gets a new token on forceRefresh', async () => {
      const { oauth } = service();
      const config = clientCredentials(server);
      const first = await oauth.getAccessToken('upstream', config);
      const forced = await oauth.getAccessToken('upstream', config, { forceRefresh: true });
      expect(tokenOf(forced).value).not.toBe(tokenOf(first).value);
      expect(tokenOf(await oauth.getAccessToken('upstream', config)).value).toBe(
        tokenOf(forced).value,
      );
      expect(server.tokenRequests).toHaveLength(2);
      expect(oauth.metrics.snapshot().refreshes).toBe(1);
    });

    it('assumes the default lifetime when expires_in is missing', async () => {
      server.settings.expiresIn = undefined;
      const { oauth, clock } = service({ defaultTokenLifetimeMs: 600_000 });
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(tokenOf(result).expiresAt).toBe(clock.now() + 600_000);
    });
  });

  describe('when the client secret is wrong', () => {
    it('fails with invalid-client after one request (no retry)', async () => {
      const { oauth, waits } = service();
      const result = await oauth.getAccessToken(
        'upstream',
        clientCredentials(server, { clientSecret: 'wrong-secret-000111' }),
      );
      expect(errorOf(result)).toMatchObject({
        name: 'OAuthError',
        code: 'invalid-client',
        status: 401,
        oauthError: 'invalid_client',
        attempts: 1,
      });
      expect(server.tokenRequests).toHaveLength(1);
      expect(waits).toEqual([]);
    });
  });

  describe('when the server fails with 500 and then succeeds', () => {
    it('retries and returns the token', async () => {
      server.enqueue({ status: 500, body: { error: 'server_error' } });
      const { oauth, waits } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(result.ok).toBe(true);
      expect(server.tokenRequests).toHaveLength(2);
      expect(waits).toHaveLength(1);
    });
  });

  describe('when the server keeps failing with 5xx', () => {
    it('gives up with server-error after the configured retries, backing off', async () => {
      server.enqueue({ status: 500 }, { status: 502 }, { status: 503 }, { status: 500 });
      const { oauth, waits } = service({
        retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 150, jitter: 0 },
      });
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({ code: 'server-error', status: 503, attempts: 3 });
      expect(server.tokenRequests).toHaveLength(3);
      expect(waits).toEqual([100, 150]);
    });

    describe('with the default retry policy', () => {
      const keepFailing = () => {
        for (let i = 0; i < 6; i++) server.enqueue({ status: 503 });
      };

      it('retries three times, waiting 2 s, 4 s and 8 s give or take the jitter', async () => {
        keepFailing();
        const { oauth, waits } = service({ retry: undefined });
        const result = await oauth.getAccessToken('upstream', clientCredentials(server));
        expect(errorOf(result)).toMatchObject({ code: 'server-error', status: 503, attempts: 4 });
        expect(server.tokenRequests).toHaveLength(4);
        expect(waits).toHaveLength(3);
        [2000, 4000, 8000].forEach((base, i) => {
          expect(waits[i]).toBeGreaterThanOrEqual(base * 0.8);
          expect(waits[i]).toBeLessThanOrEqual(base * 1.2);
        });
      });

      it('waits exactly 2 s, 4 s and 8 s at the middle of the jitter', async () => {
        keepFailing();
        const { oauth, waits } = service({ retry: undefined, random: () => 0.5 });
        await oauth.getAccessToken('upstream', clientCredentials(server));
        expect(waits).toEqual([2000, 4000, 8000]);
      });

      it('spreads the waits by 20 % at most', async () => {
        keepFailing();
        const low = service({ retry: undefined, random: () => 0 });
        await low.oauth.getAccessToken('upstream', clientCredentials(server));
        expect(low.waits).toEqual([1600, 3200, 6400]);
        keepFailing();
        const high = service({ retry: undefined, random: () => 1 });
        await high.oauth.getAccessToken('upstream', clientCredentials(server));
        expect(high.waits).toEqual([2400, 4800, 9600]);
      });
    });

    it('makes one request with retries: 0', async () => {
      server.enqueue({ status: 503 });
      const { oauth, waits } = service({ retry: { retries: 0 } });
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({ code: 'server-error', attempts: 1 });
      expect(waits).toEqual([]);
    });
  });

  describe('with a retry count that is not a non-negative integer', () => {
    it.each([-1, 1.5, Number.NaN, Infinity])('refuses retries: %s', (retries) => {
      expect(() => createOAuthService({ retry: { retries } })).toThrow(
        expect.objectContaining({ name: 'OAuthError', code: 'invalid-argument' }),
      );
    });

    it('refuses the old "attempts" option, naming its replacement', () => {
      const legacy = { attempts: 4 } as unknown as RetryOptions;
      expect(() => createOAuthService({ retry: legacy })).toThrow(
        expect.objectContaining({
          code: 'invalid-argument',
          message: expect.stringContaining('"retries"'),
        }),
      );
    });
  });

  describe('when the server does not answer', () => {
    it('times out and reports timeout after the retries', async () => {
      // Never released while the client waits: the only timer is the client's own timeout.
      const gate = server.holdTokenAnswers();
      try {
        const { oauth } = service({ timeoutMs: 50, retry: { ...FAST_RETRY, retries: 1 } });
        const result = await oauth.getAccessToken('upstream', clientCredentials(server));
        expect(errorOf(result)).toMatchObject({ code: 'timeout', attempts: 2 });
        expect(errorOf(result).transient).toBe(true);
        expect(server.tokenRequests).toHaveLength(2);
      } finally {
        gate.release();
      }
    });
  });

  describe('when the server answers 429 with Retry-After', () => {
    it('waits the seconds it asks for, then succeeds', async () => {
      server.enqueue({
        status: 429,
        headers: { 'retry-after': '7' },
        body: { error: 'slow_down' },
      });
      const { oauth, waits } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(result.ok).toBe(true);
      expect(waits).toEqual([7000]);
    });

    it('understands an HTTP-date', async () => {
      const { oauth, waits, clock } = service();
      server.enqueue({
        status: 429,
        headers: { 'retry-after': new Date(clock.now() + 5000).toUTCString() },
      });
      expect((await oauth.getAccessToken('upstream', clientCredentials(server))).ok).toBe(true);
      expect(waits).toEqual([5000]);
    });

    it('gives up at once when asked to wait longer than maxRetryAfterMs', async () => {
      server.enqueue({ status: 429, headers: { 'retry-after': '3600' } });
      const { oauth, waits } = service({ retry: { ...FAST_RETRY, maxRetryAfterMs: 10_000 } });
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({
        code: 'rate-limited',
        status: 429,
        attempts: 1,
        retryAfterMs: 3_600_000,
      });
      expect(waits).toEqual([]);
      expect(server.tokenRequests).toHaveLength(1);
    });
  });

  describe('when the server rejects the request with another 4xx', () => {
    it('does not retry', async () => {
      server.enqueue({ status: 400, body: { error: 'invalid_scope', error_description: 'nope' } });
      const { oauth } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({
        code: 'request-rejected',
        status: 400,
        oauthError: 'invalid_scope',
      });
      expect(errorOf(result).message).toContain('invalid_scope: nope');
      expect(server.tokenRequests).toHaveLength(1);
    });

    it('maps invalid_grant', async () => {
      server.enqueue({ status: 400, body: { error: 'invalid_grant' } });
      const { oauth } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({ code: 'invalid-grant' });
    });
  });

  describe('when the answer is not a usable token', () => {
    it('refuses a body without access_token', async () => {
      server.enqueue({ status: 200, body: { token_type: 'Bearer' } });
      const { oauth } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({ code: 'invalid-response' });
      expect(errorOf(result).message).toContain('"access_token" missing');
    });

    it('refuses a non-Bearer token type', async () => {
      server.settings.tokenType = 'DPoP';
      const { oauth } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({ code: 'invalid-response' });
    });

    it('refuses HTML', async () => {
      server.enqueue({
        status: 200,
        body: '<html>login</html>',
        headers: { 'content-type': 'text/html' },
      });
      const { oauth } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({ code: 'invalid-response' });
    });

    it('refuses a body larger than maxResponseBytes', async () => {
      server.enqueue({
        status: 200,
        body: { access_token: 'x'.repeat(5000), token_type: 'Bearer' },
      });
      const { oauth } = service({ maxResponseBytes: 1024 });
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(errorOf(result)).toMatchObject({ code: 'invalid-response' });
      expect(server.tokenRequests).toHaveLength(1);
    });

    it('accepts a form-encoded answer with string numbers', async () => {
      server.enqueue({
        status: 200,
        body: 'access_token=form-token-123456&token_type=bearer&expires_in=120&scope=tools%3Aread+tools%3Acall',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const { oauth, clock } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(tokenOf(result).value).toBe('form-token-123456');
      expect(tokenOf(result).expiresAt).toBe(clock.now() + 120_000);
    });
  });

  describe('when the server cannot be reached', () => {
    it('retries network errors and reports network-error', async () => {
      const { oauth, waits } = service();
      const config = clientCredentials(server, { tokenUrl: 'http://127.0.0.1:1/token' });
      const result = await oauth.getAccessToken('upstream', config);
      expect(errorOf(result)).toMatchObject({ code: 'network-error', attempts: 3 });
      expect(errorOf(result).transient).toBe(true);
      expect(waits).toHaveLength(2);
    });

    it('does not retry a TLS failure (untrusted server certificate)', async () => {
      const { oauth, waits } = service({ dispatcher: new Agent() });
      const config = clientCredentials(server, { tokenUrl: server.url('https', '/token') });
      const result = await oauth.getAccessToken('upstream', config);
      expect(errorOf(result)).toMatchObject({ code: 'tls-error', attempts: 1 });
      expect(waits).toEqual([]);
    });
  });

  describe('when enforceHttps is on', () => {
    it('refuses a plain http:// token URL without a request', async () => {
      const { oauth } = service();
      const config = clientCredentials(server, { allowLoopbackHttp: false });
      const result = await oauth.getAccessToken('upstream', config);
      expect(errorOf(result)).toMatchObject({ code: 'insecure-url', pointer: '/tokenUrl' });
      expect(server.tokenRequests).toHaveLength(0);
    });
  });

  describe('when the configuration is disabled', () => {
    it('reports disabled', async () => {
      const { oauth } = service();
      const result = await oauth.getAccessToken('upstream', { enabled: false });
      expect(errorOf(result)).toMatchObject({ code: 'disabled' });
    });
  });

  describe('logging', () => {
    it('gives each acquisition a correlation id carried by its log lines and its error', async () => {
      server.enqueue({ status: 500 }, { status: 401, body: { error: 'invalid_client' } });
      const { oauth, logger } = service();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      const id = errorOf(result).correlationId!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const lines = logger.withCorrelationId(id);
      expect(lines.map((l) => l.message)).toEqual([
        'acquiring token',
        'token endpoint request',
        'token endpoint failed; retrying',
        'token endpoint request',
        expect.stringContaining('token acquisition failed'),
      ]);
      expect(lines.every((l) => l.fields.server === 'upstream')).toBe(true);
      const ok = await oauth.getAccessToken('upstream', clientCredentials(server), {
        projectId: 'p',
      });
      expect(ok.ok).toBe(true);
      const acquired = logger.lines.find((l) => l.message === 'token acquired')!;
      expect(acquired.fields.correlationId).not.toBe(id);
      expect(acquired.fields.projectId).toBe('p');
    });

    it('takes a pino-style logger and writes no line of a level it has disabled', async () => {
      // pino's shape: (fields, message) and isLevelEnabled; debug is off, as in production.
      const logger = Object.assign(new CapturingLogger(), {
        isLevelEnabled: (level: string) => level !== 'debug',
      });
      const { oauth } = service({ logger });
      expect((await oauth.getAccessToken('upstream', clientCredentials(server))).ok).toBe(true);
      expect(logger.lines.map((l) => l.message)).toEqual(['acquiring token', 'token acquired']);
      expect(logger.lines.every((l) => l.level !== 'debug')).toBe(true);
    });
  });
});
