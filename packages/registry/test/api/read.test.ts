import { compactVerify, decodeProtectedHeader } from 'jose';
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../support/expect-problem.js';
import { signed, type ProviderKey } from '../support/keys.js';
import { REGISTRY_ID, testRegistry, type TestRegistry } from '../support/test-registry.js';

let r: TestRegistry;
let acme: { pk: ProviderKey; apiKey: string };
beforeAll(async () => {
  r = await testRegistry();
  acme = await r.provider('com.acme');
  await r.provider('org.example');
  const publish = async (pk: ProviderKey, key: string, tools: unknown[]) => {
    const res = await r.request('POST', '/v1/tools', { key, body: { tools } });
    if (res.statusCode !== 201) throw new Error(res.body);
  };
  await publish(acme.pk, acme.apiKey, [
    await signed(acme.pk, 'read_file', { ver: '1.0.0' }),
    await signed(acme.pk, 'read_file', { ver: '1.2.0', description: 'Reads files, faster' }),
    await signed(acme.pk, 'read_file', { ver: '2.0.0-rc.1', description: 'Next' }),
    await signed(acme.pk, 'list_dir', { description: 'Lists a directory' }),
    await signed(acme.pk, 'search', { description: 'Full-text search' }),
  ]);
});
afterAll(async () => {
  await r.close();
});

async function verifyReceipt(receipt: string): Promise<Record<string, unknown>> {
  const key = createPublicKey({ key: r.registryKey.jwks.keys[0] as never, format: 'jwk' });
  const { payload, protectedHeader } = await compactVerify(receipt, key);
  expect(protectedHeader).toMatchObject({ typ: 'etdi-receipt+jwt', kid: r.registryKey.kid });
  return JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
}

describe('GET /v1/tools/{iss}/{name}/{ver}', () => {
  it('serves the signed tool with an immutable cache policy, a strong ETag and a receipt', async () => {
    const res = await r.request('GET', '/v1/tools/com.acme/read_file/1.2.0');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const body = res.json() as { _meta: Record<string, string> };
    const claims = await verifyReceipt(String(res.headers['etdi-receipt']));
    const dig = JSON.parse(
      Buffer.from(body._meta['io.etdi/signature']!.split('.')[1]!, 'base64url').toString(),
    ).dig;
    expect(claims).toEqual({
      iss: REGISTRY_ID,
      sub: 'com.acme/read_file@1.2.0',
      dig,
      iat: expect.any(Number),
    });
  });

  it('is byte-identical each time, and 304 for a matching If-None-Match', async () => {
    const a = await r.request('GET', '/v1/tools/com.acme/read_file/1.0.0');
    const b = await r.request('GET', '/v1/tools/com.acme/read_file/1.0.0');
    expect(b.rawPayload.equals(a.rawPayload)).toBe(true);
    expect(b.headers['etdi-receipt']).toBe(a.headers['etdi-receipt']);
    const cached = await r.request('GET', '/v1/tools/com.acme/read_file/1.0.0', {
      headers: { 'if-none-match': `W/"x", ${String(a.headers.etag)}` },
    });
    expect(cached.statusCode).toBe(304);
    expect(cached.body).toBe('');
    expect(cached.headers.etag).toBe(a.headers.etag);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await r.app.inject({ method: 'HEAD', url: '/v1/tools/com.acme/read_file/1.0.0' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['etdi-receipt']).toEqual(expect.any(String));
    expect(res.body).toBe('');
  });

  it('serves /latest: the highest release, revalidated', async () => {
    const res = await r.request('GET', '/v1/tools/com.acme/read_file/latest');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-location']).toBe('/v1/tools/com.acme/read_file/1.2.0');
    expect((await verifyReceipt(String(res.headers['etdi-receipt']))).sub).toBe(
      'com.acme/read_file@1.2.0',
    );
  });

  it('404 for an unknown tool or version; 400 for a version that is not semver', async () => {
    expectProblem(await r.request('GET', '/v1/tools/com.acme/read_file/9.9.9'), 404, 'not-found');
    expectProblem(await r.request('GET', '/v1/tools/com.acme/nothing/latest'), 404, 'not-found');
    const bad = await r.request('GET', '/v1/tools/com.acme/read_file/v1');
    expect(expectProblem(bad, 400, 'invalid-request').pointer).toBe('/ver');
  });

  it('a provider id with "/" is one path segment when percent-encoded', async () => {
    const res = await r.request('GET', '/v1/tools/com%2Facme/read_file/1.0.0');
    expectProblem(res, 404, 'not-found');
  });
});

describe('GET /v1/tools/{iss}/{name}', () => {
  it('lists versions newest first with their status and the latest', async () => {
    const res = await r.request('GET', '/v1/tools/com.acme/read_file');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { latest: string; versions: { ver: string; status: string }[] };
    expect(body.latest).toBe('1.2.0');
    expect(body.versions.map((v) => [v.ver, v.status])).toEqual([
      ['2.0.0-rc.1', 'active'],
      ['1.2.0', 'active'],
      ['1.0.0', 'active'],
    ]);
    expectProblem(await r.request('GET', '/v1/tools/com.acme/none'), 404, 'not-found');
  });
});

describe('GET /v1/tools', () => {
  it('pages through every tool with a cursor', async () => {
    const first = await r.request('GET', '/v1/tools?limit=2');
    const page1 = first.json() as { tools: { name: string }[]; nextCursor: string };
    expect(page1.tools.map((t) => t.name)).toEqual(['list_dir', 'read_file']);
    const second = await r.request('GET', `/v1/tools?limit=2&cursor=${page1.nextCursor}`);
    const page2 = second.json() as { tools: { name: string }[]; nextCursor: string | null };
    expect(page2).toEqual({
      tools: [
        {
          iss: 'com.acme',
          name: 'search',
          latest: '1.0.0',
          description: 'Full-text search',
          versions: 1,
        },
      ],
      nextCursor: null,
    });
  });

  it('filters by provider and text', async () => {
    const byText = (await r.request('GET', '/v1/tools?q=FASTER')).json() as {
      tools: { name: string }[];
    };
    expect(byText.tools.map((t) => t.name)).toEqual(['read_file']);
    const byIss = (await r.request('GET', '/v1/tools?iss=org.example')).json() as {
      tools: unknown[];
    };
    expect(byIss.tools).toEqual([]);
  });

  it.each([
    ['limit=-1', '/limit'],
    ['limit=0', '/limit'],
    ['limit=201', '/limit'],
    ['limit=ten', '/limit'],
    ['color=red', '/color'],
    ['cursor=%25%25', '/cursor'],
    ['cursor=bm90LWEtY3Vyc29y', '/cursor'],
  ])('refuses %s: 400 naming %s, never clamped', async (query, pointer) => {
    const res = await r.request('GET', `/v1/tools?${query}`);
    expect(expectProblem(res, 400, 'invalid-request')).toMatchObject({ pointer, in: 'query' });
  });
});

describe('GET /v1/digests/{dig}', () => {
  it('returns every signed tool with this digest, byte for byte, with receipts', async () => {
    const version = await r.request('GET', '/v1/tools/com.acme/search/1.0.0');
    const jws = (version.json() as { _meta: Record<string, string> })._meta['io.etdi/signature']!;
    const dig = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).dig as string;
    const res = await r.request('GET', `/v1/digests/${dig}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(
      `{"tools":[${version.body}],"receipts":${JSON.stringify([version.headers['etdi-receipt']])}}`,
    );
    const again = await r.request('GET', `/v1/digests/${dig}`, {
      headers: { 'if-none-match': String(res.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('an unknown digest is an empty list; a malformed one 400', async () => {
    const res = await r.request('GET', `/v1/digests/${'A'.repeat(43)}`);
    expect(res.json()).toEqual({ tools: [], receipts: [] });
    expectProblem(await r.request('GET', '/v1/digests/short'), 400, 'invalid-request');
  });
});

describe('discovery', () => {
  it('/.well-known/etdi-registry names the registry, its links and its own key', async () => {
    const res = await r.request('GET', '/.well-known/etdi-registry', {
      headers: { host: 'registry.example:8443' },
    });
    expect(res.json()).toEqual({
      id: REGISTRY_ID,
      jwks_uri: 'http://registry.example:8443/.well-known/jwks.json',
      revocations_uri: 'http://registry.example:8443/v1/revocations',
      keys: { keys: [expect.objectContaining({ kid: r.registryKey.kid, iss: REGISTRY_ID })] },
    });
    const header = decodeProtectedHeader((await r.request('GET', '/v1/revocations')).body);
    expect(header.kid).toBe(r.registryKey.kid);
  });

  it('every GET carries a strong ETag and answers If-None-Match with 304', async () => {
    for (const url of [
      '/.well-known/jwks.json',
      '/v1/tools',
      '/v1/tools/com.acme/read_file',
      '/v1/revocations',
    ]) {
      const first = await r.request('GET', url);
      expect(first.headers.etag).toMatch(/^"/);
      const again = await r.request('GET', url, {
        headers: { 'if-none-match': String(first.headers.etag) },
      });
      expect({ url, status: again.statusCode }).toEqual({ url, status: 304 });
    }
  });
});
