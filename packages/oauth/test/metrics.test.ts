import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthMetrics, createOAuthService } from '@etdi/oauth';
import { FAST_RETRY, ManualClock, clientCredentials, recordingSleep } from './support/harness.js';
import { TestOAuthServer } from './support/oauth-server.js';

let server: TestOAuthServer;

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('OAuthMetrics', () => {
  describe('after a mixed workload', () => {
    it('counts acquisitions, cache use, refreshes, revocations and active tokens', async () => {
      server.settings.issueRefreshTokens = true;
      const clock = new ManualClock();
      const oauth = createOAuthService({
        now: clock.now,
        sleep: recordingSleep().sleep,
        retry: FAST_RETRY,
      });
      const config = clientCredentials(server);
      await oauth.getAccessToken('a', config); // miss, acquisition
      await oauth.getAccessToken('a', config); // hit
      await oauth.getAccessToken('a', config); // hit
      await oauth.getAccessToken('b', config); // miss, acquisition
      await oauth.getAccessToken('c', clientCredentials(server, { clientSecret: 'wrong-one-123' }));
      clock.advance(3_400_000);
      await oauth.getAccessToken('a', config); // miss, refresh
      await oauth.revoke('b', config); // refresh + access token

      const s = oauth.metrics.snapshot();
      expect(s.acquisitions).toEqual({ total: 4, success: 3, failure: 1 });
      expect(s.failuresByCode).toEqual({ 'invalid-client': 1 });
      expect(s.cache).toEqual({ hits: 2, misses: 4, hitRatio: 2 / 6 });
      expect(s.refreshes).toBe(1);
      expect(s.revocations).toBe(2);
      expect(s.activeTokens).toBe(1);
      // Latency is measured by the service clock, which this test never moves mid-acquisition.
      expect(s.latencyMs).toEqual({ count: 4, avg: 0, min: 0, max: 0, p95: 0 });

      clock.advance(4_000_000); // every token expired
      expect(oauth.metrics.snapshot().activeTokens).toBe(0);
    });
  });

  describe('acquisition latency', () => {
    it('is measured by the service clock, retry waits and server time included', async () => {
      const clock = new ManualClock();
      const oauth = createOAuthService({
        now: clock.now,
        // Waiting moves the clock by exactly the wait, and returns at once.
        sleep: (ms) => {
          clock.advance(ms);
          return Promise.resolve();
        },
        retry: { retries: 1, baseDelayMs: 2000, jitter: 0 },
      });
      const config = clientCredentials(server);

      server.enqueue({ status: 503 });
      expect((await oauth.getAccessToken('retried', config)).ok).toBe(true); // 2000 ms

      const gate = server.holdTokenAnswers();
      const held = oauth.getAccessToken('slow', config);
      await server.receivedTokenRequests(3);
      clock.advance(250); // the server "takes" 250 ms
      gate.release();
      expect((await held).ok).toBe(true); // 250 ms

      expect((await oauth.getAccessToken('instant', config)).ok).toBe(true); // 0 ms
      server.enqueue({ status: 400, body: { error: 'invalid_scope' } });
      expect((await oauth.getAccessToken('refused', config)).ok).toBe(false); // 0 ms

      expect(oauth.metrics.snapshot().latencyMs).toEqual({
        count: 4,
        avg: 562.5,
        min: 0,
        max: 2000,
        p95: 2000,
      });
      const lines = oauth.metrics.toPrometheus().split('\n');
      expect(lines).toContain('etdi_oauth_token_acquisition_duration_seconds_sum 2.25');
      expect(lines).toContain('etdi_oauth_token_acquisition_duration_max_seconds 2');
      expect(lines).toContain('etdi_oauth_token_acquisition_duration_min_seconds 0');
    });

    it('is never negative when the clock steps back', async () => {
      const clock = new ManualClock();
      const oauth = createOAuthService({ now: clock.now });
      const gate = server.holdTokenAnswers();
      const held = oauth.getAccessToken('stepped', clientCredentials(server));
      await server.receivedTokenRequests(1);
      clock.advance(-5000);
      gate.release();
      await held;
      expect(oauth.metrics.snapshot().latencyMs).toMatchObject({ count: 1, min: 0, max: 0 });
    });
  });

  describe('latency statistics', () => {
    it('computes the p95 over the most recent samples', () => {
      const metrics = new OAuthMetrics({ latencySamples: 100 });
      for (let i = 1; i <= 100; i++) metrics.recordAcquisition(true, i);
      expect(metrics.snapshot().latencyMs).toEqual({
        count: 100,
        avg: 50.5,
        min: 1,
        max: 100,
        p95: 95,
      });
      for (let i = 0; i < 100; i++) metrics.recordAcquisition(true, 1000);
      expect(metrics.snapshot().latencyMs.p95).toBe(1000);
    });

    it('reports zeros before any acquisition', () => {
      const s = new OAuthMetrics().snapshot();
      expect(s.latencyMs).toEqual({ count: 0, avg: 0, min: 0, max: 0, p95: 0 });
      expect(s.cache.hitRatio).toBe(0);
    });
  });

  describe('toPrometheus', () => {
    it('writes the text exposition format', () => {
      const metrics = new OAuthMetrics();
      for (let i = 0; i < 3; i++) metrics.recordCacheHit();
      metrics.recordCacheMiss();
      metrics.recordAcquisition(true, 200);
      metrics.recordAcquisition(false, 400, 'timeout');
      metrics.trackToken('k', Date.now() + 60_000);
      const text = metrics.toPrometheus();
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.trimEnd().split('\n');
      for (const line of lines) {
        expect(line).toMatch(
          /^(# (HELP|TYPE) etdi_oauth_[a-z_]+ .+|etdi_oauth_[a-z_]+(\{[a-z_]+="[^"]*"\})? -?[0-9.e+-]+)$/,
        );
      }
      expect(lines).toContain('# TYPE etdi_oauth_token_acquisitions_total counter');
      expect(lines).toContain('etdi_oauth_token_acquisitions_total{outcome="success"} 1');
      expect(lines).toContain('etdi_oauth_token_acquisitions_total{outcome="failure"} 1');
      expect(lines).toContain('etdi_oauth_token_acquisition_failures_total{code="timeout"} 1');
      expect(lines).toContain('etdi_oauth_cache_hits_total 3');
      expect(lines).toContain('etdi_oauth_cache_misses_total 1');
      expect(lines).toContain('etdi_oauth_cache_hit_ratio 0.75');
      expect(lines).toContain('# TYPE etdi_oauth_token_acquisition_duration_seconds summary');
      expect(lines).toContain('etdi_oauth_token_acquisition_duration_seconds{quantile="0.95"} 0.4');
      expect(lines).toContain('etdi_oauth_token_acquisition_duration_seconds_sum 0.6');
      expect(lines).toContain('etdi_oauth_token_acquisition_duration_seconds_count 2');
      expect(lines).toContain('etdi_oauth_token_acquisition_duration_min_seconds 0.2');
      expect(lines).toContain('etdi_oauth_token_acquisition_duration_max_seconds 0.4');
      expect(lines).toContain('etdi_oauth_active_tokens 1');
      expect(lines).toContain('etdi_oauth_token_refreshes_total 0');
      expect(lines).toContain('etdi_oauth_token_revocations_total 0');
    });

    it('takes a prefix', () => {
      expect(new OAuthMetrics().toPrometheus('gw_upstream')).toContain(
        'gw_upstream_active_tokens 0',
      );
    });
  });
});
