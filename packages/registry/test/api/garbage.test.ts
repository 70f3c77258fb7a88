import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteRegistryStore } from '../../src/index.js';
import { expectProblem } from '../support/expect-problem.js';
import type { ProviderKey } from '../support/keys.js';
import { testRegistry, type TestRegistry } from '../support/test-registry.js';

let r: TestRegistry;
let acme: { pk: ProviderKey; apiKey: string };
beforeAll(async () => {
  r = await testRegistry({ bodyLimitBytes: 64 * 1024 });
  acme = await r.provider('com.acme');
});
afterAll(async () => {
  await r.close();
});

const post = (url: string, payload: string | Buffer, contentType = 'application/json') =>
  r.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${r.adminKey}`, 'content-type': contentType },
    payload,
  });

describe('garbage in, a clear 4xx out', () => {
  it('415 for a body that is not JSON', async () => {
    expectProblem(
      await post('/v1/tools', 'tools=1', 'application/x-www-form-urlencoded'),
      415,
      'unsupported-media-type',
    );
    expectProblem(
      await post('/v1/tools', '{"tools":[]}', 'text/plain'),
      415,
      'unsupported-media-type',
    );
  });

  it('413 past the body limit', async () => {
    const huge = JSON.stringify({ tools: [{ name: 'x', description: 'x'.repeat(70 * 1024) }] });
    expectProblem(await post('/v1/tools', huge), 413, 'payload-too-large');
  });

  it('400 invalid-json for broken, empty and deeply nested JSON', async () => {
    expectProblem(await post('/v1/tools', '{"tools": [}'), 400, 'invalid-json');
    expectProblem(await post('/v1/tools', ''), 400, 'invalid-json');
    expectProblem(await post('/v1/tools', '\u0000\u00ff'), 400, 'invalid-json');
    const deep = `{"tools":[${'['.repeat(20_000)}${']'.repeat(20_000)}]}`;
    expectProblem(await post('/v1/tools', deep), 400, 'invalid-json');
  });

  it('400 duplicate-member for a member named twice, with its pointer', async () => {
    const res = await post('/v1/tools', '{"tools":[{"name":"a","name":"b"}]}');
    expect(expectProblem(res, 400, 'duplicate-member').pointer).toBe('/tools/0/name');
    const escaped = await post('/v1/providers', '{"iss":"org.a","\\u0069ss":"org.b"}');
    expectProblem(escaped, 400, 'duplicate-member');
  });

  it.each([
    '/v1/tools/com.acme/..%2F..%2Fetc%2Fpasswd/1.0.0',
    '/v1/tools/..%2F..%2Fetc/read_file/1.0.0',
    '/v1/tools/com.acme/read_file/..%2F1.0.0',
    '/v1/tools/com.acme/%00/1.0.0',
    '/v1/digests/..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..',
  ])('refuses path traversal in %s: 400', async (url) => {
    expectProblem(await r.request('GET', url), 400, 'invalid-request');
  });

  it('takes provider ids up to the 256 characters the wire format allows in a path', async () => {
    const res = await r.request('GET', `/v1/providers/${'a'.repeat(256)}/jwks.json`);
    expectProblem(res, 404, 'not-found');
    expectProblem(
      await r.request('GET', `/v1/providers/${'a'.repeat(257)}/jwks.json`),
      400,
      'invalid-request',
    );
  });

  it('404 problem for an unknown route or method, and a broken percent-encoding is 400', async () => {
    expectProblem(await r.request('GET', '/v2/tools'), 404, 'not-found');
    expectProblem(await r.app.inject({ method: 'PUT', url: '/v1/tools' }), 404, 'not-found');
    const bad = await r.request('GET', '/v1/tools/%E0%A4%A/x/1.0.0');
    expect([400, 404]).toContain(bad.statusCode);
    expect(String(bad.headers['content-type'])).toMatch(/^application\/problem\+json/);
  });

  describe('random bodies never make a 500', () => {
    const routes = [
      '/v1/tools',
      '/v1/providers',
      '/v1/providers/com.acme/keys',
      '/v1/providers/com.acme/api-keys',
      '/v1/revocations',
    ];
    it.each(routes)('%s', async (url) => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.json({ depthSize: 'small' }),
            fc.string(),
            fc.jsonValue().map((tools) => JSON.stringify({ tools: [tools] })),
            fc.jsonValue().map((keys) => JSON.stringify({ keys: [keys] })),
          ),
          async (payload) => {
            const res = await post(url, payload);
            expect(res.statusCode).toBeLessThan(500);
            if (res.statusCode >= 400) {
              expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
              expect(typeof (res.json() as { code: unknown }).code).toBe('string');
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});

describe('rate limiting', () => {
  it('429 rate-limited past the configured rate, with Retry-After', async () => {
    const limited = await testRegistry({ rateLimit: { max: 3, windowMs: 60_000 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++)
        codes.push((await limited.request('GET', '/v1/tools')).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const res = await limited.request('GET', '/v1/tools');
      expectProblem(res, 429, 'rate-limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('store down', () => {
  it('503 store-unavailable, nothing half-written; readiness fails', async () => {
    const store = new SqliteRegistryStore({ path: ':memory:' });
    const down = await testRegistry({ store, closeStore: false });
    try {
      const { apiKey } = await down.provider('com.acme');
      await store.close();
      expectProblem(await down.request('GET', '/v1/tools'), 503, 'store-unavailable');
      expectProblem(
        await down.request('POST', '/v1/tools', { key: apiKey, body: { tools: [{}] } }),
        503,
        'store-unavailable',
      );
      expectProblem(await down.request('GET', '/readyz'), 503, 'not-ready');
    } finally {
      await down.close();
    }
  });
});

it('keeps secrets out of problems: a refused API key is never echoed', async () => {
  const secret = 'etdi_ZZZZZZZZZZZZZZZZ.SECRETSECRETSECRETSECRETSECRET';
  const res = await r.request('POST', '/v1/tools', { key: secret, body: { tools: [{}] } });
  expectProblem(res, 401, 'invalid-api-key');
  expect(res.body).not.toContain('SECRETSECRET');
  expect(JSON.stringify(res.headers)).not.toContain('SECRETSECRET');
  expect(acme.apiKey).toBeTruthy();
});
