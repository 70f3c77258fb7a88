import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../support/expect-problem.js';
import { REGISTRY_ID, testRegistry, type TestRegistry } from '../support/test-registry.js';

let r: TestRegistry;
beforeAll(async () => {
  r = await testRegistry();
});
afterAll(async () => {
  await r.close();
});

describe('POST /v1/providers', () => {
  it('creates a provider namespace (admin): 201', async () => {
    const res = await r.request('POST', '/v1/providers', {
      key: r.adminKey,
      body: { iss: 'com.acme' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ iss: 'com.acme', createdAt: expect.any(String) });
  });

  describe('when the caller is not an admin', () => {
    it('refuses a request without a key: 401 no-credentials with a challenge', async () => {
      const res = await r.request('POST', '/v1/providers', { body: { iss: 'org.nokey' } });
      expectProblem(res, 401, 'no-credentials');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="etdi-registry"/);
    });

    it('refuses a key that does not exist: 401 invalid-api-key', async () => {
      const res = await r.request('POST', '/v1/providers', {
        key: 'etdi_AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBB',
        body: { iss: 'org.badkey' },
      });
      expectProblem(res, 401, 'invalid-api-key');
    });

    it('refuses a publisher key: 403 admin-required', async () => {
      const { apiKey } = await r.provider('org.publisher');
      const res = await r.request('POST', '/v1/providers', {
        key: apiKey,
        body: { iss: 'org.other' },
      });
      expectProblem(res, 403, 'admin-required');
    });
  });

  describe('namespaces', () => {
    it('refuses a case variant of an existing id: 409 provider-exists', async () => {
      const res = await r.request('POST', '/v1/providers', {
        key: r.adminKey,
        body: { iss: 'COM.ACME' },
      });
      expect(expectProblem(res, 409, 'provider-exists')).toMatchObject({
        existing: 'com.acme',
        pointer: '/iss',
      });
    });

    it('refuses the same id again: 409 provider-exists', async () => {
      const res = await r.request('POST', '/v1/providers', {
        key: r.adminKey,
        body: { iss: 'com.acme' },
      });
      expectProblem(res, 409, 'provider-exists');
    });

    it.each([
      ['com.acrne', 'rn for m'],
      ['c0m.acme', 'zero for o'],
      ['com.аcme', 'Cyrillic а'],
      ['ｃｏｍ.ａｃｍｅ', 'fullwidth (NFKC)'],
      ['com.ac\u200bme', 'zero-width space'],
    ])(
      'refuses %s (%s) next to com.acme: 409 confusable-provider or provider-exists',
      async (iss) => {
        const res = await r.request('POST', '/v1/providers', { key: r.adminKey, body: { iss } });
        expect(res.statusCode).toBe(409);
        const problem = res.json() as { code: string; existing: string };
        expect(['confusable-provider', 'provider-exists']).toContain(problem.code);
        expect(problem.existing).toBe('com.acme');
      },
    );

    it('names a look-alike as confusable-provider', async () => {
      const res = await r.request('POST', '/v1/providers', {
        key: r.adminKey,
        body: { iss: 'com.acrne' },
      });
      expectProblem(res, 409, 'confusable-provider');
    });

    it("refuses the registry's own id and its look-alikes", async () => {
      for (const iss of [
        REGISTRY_ID,
        REGISTRY_ID.toUpperCase(),
        'rеgistry.test',
        'reglstry.test'.replace('l', 'I'),
      ]) {
        const res = await r.request('POST', '/v1/providers', { key: r.adminKey, body: { iss } });
        expect(res.statusCode).toBe(409);
      }
    });

    it.each(['-leading.dash', 'has space', 'com.acme\u0000', 'x'.repeat(257), 'ünï.code'])(
      'refuses %j, outside the provider id rule: 400 invalid-provider-id',
      async (iss) => {
        const res = await r.request('POST', '/v1/providers', { key: r.adminKey, body: { iss } });
        expect(expectProblem(res, 400, 'invalid-provider-id').pointer).toBe('/iss');
      },
    );

    it('refuses unknown members: 400 naming them', async () => {
      const res = await r.request('POST', '/v1/providers', {
        key: r.adminKey,
        body: { iss: 'org.fine', owner: 'me' },
      });
      expect(expectProblem(res, 400, 'invalid-request').pointer).toBe('/owner');
    });
  });
});

describe('POST /v1/providers/{iss}/api-keys', () => {
  it('issues a publisher key once: 201, no-store, only the hash kept', async () => {
    const res = await r.request('POST', '/v1/providers/com.acme/api-keys', {
      key: r.adminKey,
      body: { name: 'CI' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const { apiKey, keyId } = res.json() as { apiKey: string; keyId: string };
    expect(apiKey.startsWith(`${keyId}.`)).toBe(true);
    const stored = await r.store.getApiKey(keyId);
    expect(stored).toMatchObject({ keyId, projectId: 'com.acme', active: true });
    expect(JSON.stringify(stored)).not.toContain(apiKey.split('.')[1]!);
  });

  it('404 for a provider that does not exist', async () => {
    const res = await r.request('POST', '/v1/providers/org.missing/api-keys', { key: r.adminKey });
    expectProblem(res, 404, 'not-found');
  });

  it('a key past its expiresAt is refused: 401 key-expired', async () => {
    const expiresAt = new Date(r.clock.ms + 3_600_000).toISOString();
    const res = await r.request('POST', '/v1/providers/com.acme/api-keys', {
      key: r.adminKey,
      body: { expiresAt },
    });
    const { apiKey } = res.json() as { apiKey: string };
    const revoke = { key: apiKey, body: { iss: 'com.acme', sub: 'nothing' } };
    expectProblem(await r.request('POST', '/v1/revocations', revoke), 404, 'not-found');
    const saved = r.clock.ms;
    r.clock.ms += 3_600_001;
    try {
      expectProblem(await r.request('POST', '/v1/revocations', revoke), 401, 'key-expired');
    } finally {
      r.clock.ms = saved;
    }
  });

  it('refuses an expiry in the past: 400', async () => {
    const res = await r.request('POST', '/v1/providers/com.acme/api-keys', {
      key: r.adminKey,
      body: { expiresAt: '2000-01-01T00:00:00Z' },
    });
    expect(expectProblem(res, 400, 'invalid-request').pointer).toBe('/expiresAt');
  });

  it('a deactivated key is refused: 401 key-inactive', async () => {
    const { apiKey, keyId } = (
      await r.request('POST', '/v1/providers/com.acme/api-keys', { key: r.adminKey })
    ).json() as { apiKey: string; keyId: string };
    const deleted = await r.request('DELETE', `/v1/providers/com.acme/api-keys/${keyId}`, {
      key: apiKey,
    });
    expect(deleted.statusCode).toBe(204);
    const res = await r.request('POST', '/v1/tools', { key: apiKey, body: { tools: [{}] } });
    expectProblem(res, 401, 'key-inactive');
  });

  it("a publisher cannot deactivate another provider's key: 403 not-owner", async () => {
    const { keyId } = (
      await r.request('POST', '/v1/providers/com.acme/api-keys', { key: r.adminKey })
    ).json() as { keyId: string };
    const { apiKey } = await r.provider('org.mallory');
    const res = await r.request('DELETE', `/v1/providers/com.acme/api-keys/${keyId}`, {
      key: apiKey,
    });
    expectProblem(res, 403, 'not-owner');
    const other = await r.request('DELETE', `/v1/providers/org.mallory/api-keys/${keyId}`, {
      key: apiKey,
    });
    expectProblem(other, 404, 'not-found');
  });

  it('a publisher cannot issue keys: 403 admin-required', async () => {
    const { apiKey } = await r.provider('org.issuer');
    const res = await r.request('POST', '/v1/providers/org.issuer/api-keys', { key: apiKey });
    expectProblem(res, 403, 'admin-required');
  });
});
