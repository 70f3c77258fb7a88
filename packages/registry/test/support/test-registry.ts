import { generateApiKey } from '@etdi/auth';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  buildRegistry,
  SqliteRegistryStore,
  type RegistryOptions,
  type RegistryStore,
} from '../../src/index.js';
import { providerKey, type ProviderKey } from './keys.js';

/** A registry app for `inject` tests, with an admin key and a settable clock. */
export interface TestRegistry {
  readonly app: FastifyInstance;
  readonly store: RegistryStore;
  readonly adminKey: string;
  readonly registryKey: ProviderKey;
  readonly clock: { ms: number };
  /** JSON request with an optional API key; returns the response. */
  request(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  /** Creates a provider, registers its key, and returns a publisher API key for it. */
  provider(iss: string, pk?: ProviderKey): Promise<{ pk: ProviderKey; apiKey: string }>;
  close(): Promise<void>;
}

export const REGISTRY_ID = 'registry.test';

export async function testRegistry(
  options: Partial<RegistryOptions> & { store?: RegistryStore } = {},
): Promise<TestRegistry> {
  const store = options.store ?? new SqliteRegistryStore({ path: ':memory:' });
  const adminKey = generateApiKey();
  const registryKey = await providerKey(REGISTRY_ID);
  const clock = { ms: Date.now() };
  const app = await buildRegistry({
    store,
    id: REGISTRY_ID,
    signingKey: registryKey.key,
    adminKeys: [adminKey],
    now: () => clock.ms,
    processMetrics: false,
    ...options,
  });
  await app.ready();
  const request: TestRegistry['request'] = (method, url, opts = {}) =>
    app.inject({
      method,
      url,
      headers: {
        ...(opts.key === undefined ? {} : { authorization: `Bearer ${opts.key}` }),
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...opts.headers,
      },
      ...(opts.body === undefined
        ? {}
        : { payload: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
    });
  const provider: TestRegistry['provider'] = async (iss, given) => {
    const pk = given ?? (await providerKey(iss));
    const created = await request('POST', '/v1/providers', { key: adminKey, body: { iss } });
    if (created.statusCode !== 201) throw new Error(`provider ${iss}: ${created.body}`);
    const issued = await request('POST', `/v1/providers/${encodeURIComponent(iss)}/api-keys`, {
      key: adminKey,
    });
    if (issued.statusCode !== 201) throw new Error(`api key ${iss}: ${issued.body}`);
    const apiKey = (issued.json() as { apiKey: string }).apiKey;
    const keys = await request('POST', `/v1/providers/${encodeURIComponent(iss)}/keys`, {
      key: apiKey,
      body: pk.jwks,
    });
    if (keys.statusCode !== 201) throw new Error(`keys ${iss}: ${keys.body}`);
    return { pk, apiKey };
  };
  return { app, store, adminKey, registryKey, clock, request, provider, close: () => app.close() };
}
