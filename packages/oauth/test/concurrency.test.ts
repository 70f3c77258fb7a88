import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOAuthService } from '@etdi/oauth';
import { FAST_RETRY, clientCredentials, recordingSleep, tokenOf } from './support/harness.js';
import { TestOAuthServer } from './support/oauth-server.js';

let server: TestOAuthServer;

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('getAccessToken under concurrency', () => {
  describe('when 100 calls arrive at once with a cold cache', () => {
    it('makes exactly one token request and gives every caller the same token', async () => {
      // The first acquisition stays in flight, with no timer, until every call has been made.
      const gate = server.holdTokenAnswers();
      const oauth = createOAuthService();
      const config = clientCredentials(server);
      const calls = Array.from({ length: 100 }, () => oauth.getAccessToken('upstream', config));
      await server.receivedTokenRequests(1);
      gate.release();
      const results = await Promise.all(calls);
      expect(server.tokenRequests).toHaveLength(1);
      const values = new Set(results.map((r) => (r.ok ? r.token.value : undefined)));
      expect(values.size).toBe(1);
      expect([...values][0]).toMatch(/^at-/);
      const metrics = oauth.metrics.snapshot();
      expect(metrics.acquisitions.total).toBe(1);
      expect(metrics.cache.misses).toBe(100);
    });

    it('shares a failure too, and the next call tries again', async () => {
      server.enqueue({ status: 401, body: { error: 'invalid_client' } });
      const oauth = createOAuthService({ sleep: recordingSleep().sleep, retry: FAST_RETRY });
      const config = clientCredentials(server);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => oauth.getAccessToken('upstream', config)),
      );
      expect(results.every((r) => !r.ok && r.error.code === 'invalid-client')).toBe(true);
      expect(server.tokenRequests).toHaveLength(1);
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      expect(server.tokenRequests).toHaveLength(2);
    });

    it('does not make different keys wait for each other', async () => {
      const oauth = createOAuthService();
      const config = clientCredentials(server);
      const results = await Promise.all(
        ['a', 'b', 'c'].flatMap((projectId) =>
          Array.from({ length: 10 }, () => oauth.getAccessToken('upstream', config, { projectId })),
        ),
      );
      expect(server.tokenRequests).toHaveLength(3);
      expect(new Set(results.map((r) => tokenOf(r).value)).size).toBe(3);
    });
  });

  describe('when 100 forced refreshes arrive at once', () => {
    it('makes one token request', async () => {
      const oauth = createOAuthService();
      const config = clientCredentials(server);
      await oauth.getAccessToken('upstream', config);
      const gate = server.holdTokenAnswers();
      const calls = Array.from({ length: 100 }, () =>
        oauth.getAccessToken('upstream', config, { forceRefresh: true }),
      );
      await server.receivedTokenRequests(2);
      gate.release();
      const results = await Promise.all(calls);
      expect(server.tokenRequests).toHaveLength(2);
      expect(new Set(results.map((r) => (r.ok ? r.token.value : undefined))).size).toBe(1);
    });
  });
});
