import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signed } from '../support/keys.js';
import { testRegistry, type TestRegistry } from '../support/test-registry.js';

let r: TestRegistry;
beforeAll(async () => {
  r = await testRegistry();
});
afterAll(async () => {
  await r.close();
});

describe('operations', () => {
  it('/healthz and /readyz', async () => {
    expect((await r.request('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await r.request('GET', '/readyz')).json()).toEqual({
      status: 'ready',
      store: 'sqlite',
      signingKey: r.registryKey.kid,
    });
  });

  it('/metrics counts requests by route and status, published tools and refusals by code', async () => {
    const { pk, apiKey } = await r.provider('com.acme');
    await r.request('POST', '/v1/tools', {
      key: apiKey,
      body: { tools: [await signed(pk, 'a_tool')] },
    });
    await r.request('POST', '/v1/tools', {
      key: apiKey,
      body: { tools: [{ ...(await signed(pk, 'b_tool')), description: 'x' }] },
    });
    await r.request('GET', '/v1/tools/com.acme/a_tool/1.0.0');
    await r.request('GET', '/nowhere');
    const res = await r.request('GET', '/metrics');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain(
      'etdi_registry_http_requests_total{method="GET",route="/v1/tools/:iss/:name/:ver",status="200"} 1',
    );
    expect(res.body).toContain(
      'etdi_registry_http_requests_total{method="GET",route="unmatched",status="404"} 1',
    );
    expect(res.body).toContain('etdi_registry_published_tools_total{outcome="created"} 1');
    expect(res.body).toContain('etdi_registry_rejections_total{code="digest-mismatch"} 1');
  });

  it('/openapi.json is OpenAPI 3.1 with every route of the API table and its schemas', async () => {
    const doc = (await r.request('GET', '/openapi.json')).json() as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, unknown>; requestBody?: unknown; parameters?: unknown[] }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    const routes: [string, string][] = [
      ['/.well-known/etdi-registry', 'get'],
      ['/.well-known/jwks.json', 'get'],
      ['/v1/providers', 'post'],
      ['/v1/providers/{iss}/api-keys', 'post'],
      ['/v1/providers/{iss}/keys', 'post'],
      ['/v1/tools', 'post'],
      ['/v1/tools', 'get'],
      ['/v1/tools/{iss}/{name}', 'get'],
      ['/v1/tools/{iss}/{name}/{ver}', 'get'],
      ['/v1/digests/{dig}', 'get'],
      ['/v1/revocations', 'post'],
      ['/v1/revocations', 'get'],
    ];
    for (const [path, method] of routes) {
      const op = doc.paths[path]?.[method];
      expect({ path, method, documented: op !== undefined }).toEqual({
        path,
        method,
        documented: true,
      });
      expect(Object.keys(op!.responses).length).toBeGreaterThan(0);
      if (method === 'post') expect(op!.requestBody).toBeDefined();
    }
    expect(doc.paths['/v1/tools']!.post!.responses['422']).toBeDefined();
    expect(doc.paths['/openapi.json']).toBeUndefined();
  });
});
