import { TrustStore, type TrustJwk } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../support/expect-problem.js';
import { providerKey, signed, type ProviderKey } from '../support/keys.js';
import { testRegistry, type TestRegistry } from '../support/test-registry.js';

let r: TestRegistry;
let acme: { pk: ProviderKey; apiKey: string };
let evil: { pk: ProviderKey; apiKey: string };
beforeAll(async () => {
  r = await testRegistry();
  acme = await r.provider('com.acme');
  evil = await r.provider('org.evil');
});
afterAll(async () => {
  await r.close();
});

const keysOf = (res: { json(): unknown }) => (res.json() as { keys: TrustJwk[] }).keys;

describe('POST /v1/providers/{iss}/keys', () => {
  it('adds a key (201) and serves it in both JWKS with iss and status', async () => {
    const pk = await providerKey('com.acme', 'ES256');
    const res = await r.request('POST', '/v1/providers/com.acme/keys', {
      key: acme.apiKey,
      body: pk.jwks,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ results: [{ kid: pk.kid, outcome: 'added' }] });
    for (const url of ['/.well-known/jwks.json', '/v1/providers/com.acme/jwks.json']) {
      const jwks = await r.request('GET', url);
      expect(jwks.statusCode).toBe(200);
      expect(keysOf(jwks)).toContainEqual({ ...pk.jwks.keys[0], status: 'active' });
      // A trust JWKS core accepts as it is.
      expect((await TrustStore.fromJwks(jwks.json())).get(pk.kid)?.iss).toBe('com.acme');
    }
  });

  it('answers the same keys again with 200 and no change', async () => {
    const res = await r.request('POST', '/v1/providers/com.acme/keys', {
      key: acme.apiKey,
      body: acme.pk.jwks,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ results: [{ kid: acme.pk.kid, outcome: 'unchanged' }] });
  });

  it('refuses a key whose iss is another provider: 422 key-provider-mismatch', async () => {
    const pk = await providerKey('org.evil');
    const res = await r.request('POST', '/v1/providers/com.acme/keys', {
      key: acme.apiKey,
      body: pk.jwks,
    });
    expect(expectProblem(res, 422, 'key-provider-mismatch').pointer).toBe('/keys/0/iss');
  });

  it('refuses a kid that is not the key thumbprint: 422 invalid-key', async () => {
    const pk = await providerKey('com.acme');
    const other = await providerKey('com.acme');
    const body = { keys: [{ ...pk.jwks.keys[0], kid: other.kid }] };
    const res = await r.request('POST', '/v1/providers/com.acme/keys', { key: acme.apiKey, body });
    expectProblem(res, 422, 'invalid-key');
  });

  it('refuses a private key, naming the member: 422 invalid-key', async () => {
    const pk = await providerKey('com.acme');
    const body = { keys: [{ ...pk.jwks.keys[0], d: 'c2VjcmV0' }] };
    const res = await r.request('POST', '/v1/providers/com.acme/keys', { key: acme.apiKey, body });
    const problem = expectProblem(res, 422, 'invalid-key');
    expect(problem.pointer).toBe('/keys/0/d');
    expect(res.body).not.toContain('c2VjcmV0');
  });

  it("refuses another provider's key id: 409 key-conflict (one kid, one provider, forever)", async () => {
    const stolen = { keys: [{ ...acme.pk.jwks.keys[0], iss: 'org.evil' }] };
    const res = await r.request('POST', '/v1/providers/org.evil/keys', {
      key: evil.apiKey,
      body: stolen,
    });
    expect(expectProblem(res, 409, 'key-conflict')).toMatchObject({ kid: acme.pk.kid });
  });

  it('a publisher cannot add keys to another provider: 403 not-owner', async () => {
    const pk = await providerKey('com.acme');
    const res = await r.request('POST', '/v1/providers/com.acme/keys', {
      key: evil.apiKey,
      body: pk.jwks,
    });
    expectProblem(res, 403, 'not-owner');
  });

  it('refuses unknown members and a retired key without notAfter: 400', async () => {
    const pk = await providerKey('com.acme');
    const extra = await r.request('POST', '/v1/providers/com.acme/keys', {
      key: acme.apiKey,
      body: { keys: [{ ...pk.jwks.keys[0], color: 'red' }] },
    });
    expect(expectProblem(extra, 400, 'invalid-request').pointer).toBe('/keys/0/color');
    const retired = await r.request('POST', '/v1/providers/com.acme/keys', {
      key: acme.apiKey,
      body: { keys: [{ ...pk.jwks.keys[0], status: 'retired' }] },
    });
    expectProblem(retired, 422, 'invalid-key');
  });

  it('404 for keys of a provider that does not exist (admin)', async () => {
    const pk = await providerKey('org.nobody');
    const res = await r.request('POST', '/v1/providers/org.nobody/keys', {
      key: r.adminKey,
      body: pk.jwks,
    });
    expectProblem(res, 404, 'not-found');
    expectProblem(await r.request('GET', '/v1/providers/org.nobody/jwks.json'), 404, 'not-found');
  });
});

describe('key rotation', () => {
  it('a retired key keeps verifying what it signed before notAfter, and nothing after', async () => {
    const { pk, apiKey } = await r.provider('io.rotate');
    const notAfter = Math.floor(r.clock.ms / 1000) - 60;
    const before = await signed(pk, 'old_tool', { now: (notAfter - 600) * 1000 });
    const after = await signed(pk, 'new_tool', { now: r.clock.ms });
    const retire = await r.request('POST', '/v1/providers/io.rotate/keys', {
      key: apiKey,
      body: {
        keys: [
          {
            ...pk.jwks.keys[0],
            status: 'retired',
            notAfter: new Date(notAfter * 1000).toISOString(),
          },
        ],
      },
    });
    expect(retire.statusCode).toBe(201);
    expect(keysOf(retire)[0]).toMatchObject({ status: 'retired' });
    const ok = await r.request('POST', '/v1/tools', { key: apiKey, body: { tools: [before] } });
    expect(ok.statusCode).toBe(201);
    const late = await r.request('POST', '/v1/tools', { key: apiKey, body: { tools: [after] } });
    expectProblem(late, 422, 'key-revoked');
    // A stale statement cannot bring the key back.
    const stale = await r.request('POST', '/v1/providers/io.rotate/keys', {
      key: apiKey,
      body: pk.jwks,
    });
    expect(stale.statusCode).toBe(200);
    expect(keysOf(stale)[0]).toMatchObject({ status: 'retired' });
  });

  it('a key revoked at the registry can no longer publish: 422 key-revoked', async () => {
    const { pk, apiKey } = await r.provider('io.revoke');
    const revoke = await r.request('POST', '/v1/providers/io.revoke/keys', {
      key: apiKey,
      body: { keys: [{ ...pk.jwks.keys[0], status: 'revoked' }] },
    });
    expect(revoke.statusCode).toBe(201);
    const res = await r.request('POST', '/v1/tools', {
      key: apiKey,
      body: { tools: [await signed(pk, 'any_tool')] },
    });
    expectProblem(res, 422, 'key-revoked');
  });
});
