/**
 * The real @etdi/registry (`buildRegistry`, SQLite in memory) on a real socket, for the guard's
 * registry tests: providers and their keys registered through its API, tools published, keys and
 * definitions revoked, the process "down" (closed) and back (rebuilt over the same store, on the
 * same port). Its clock is the test's, or a frozen one (a registry that stopped re-signing).
 */
import { generateApiKey } from '@etdi/auth';
import { generateKeyPair, type SignedTool, type TrustJwks } from '@etdi/core';
import { buildRegistry, SqliteRegistryStore } from '@etdi/registry';
import type { FastifyInstance } from 'fastify';
import { trustJwks, type Provider } from './fixtures.js';

export interface TestRegistry {
  readonly url: string;
  readonly id: string;
  /** Requests by route and status, e.g. `GET /v1/revocations 304`. */
  readonly requests: Map<string, number>;
  /** Publishes signed tools through `POST /v1/tools` with their provider's API key. */
  publish(...tools: SignedTool[]): Promise<void>;
  /** Adds or narrows keys of a provider (`POST /v1/providers/{iss}/keys`). */
  setKeys(iss: string, jwks: TrustJwks): Promise<void>;
  /** `POST /v1/revocations` as the admin: `{kid}`, `{iss, sub[, ver]}` or `{dig}`. */
  revoke(entry: Record<string, string>): Promise<void>;
  /** Takes the registry down (true: connections refused) or brings it back (false). */
  failing(down: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface TestRegistryOptions {
  /** The registry's clock (epoch ms). */
  readonly now: () => number;
  readonly providers: readonly Provider[];
}

const ID = 'registry.test';

export async function startTestRegistry(options: TestRegistryOptions): Promise<TestRegistry> {
  const store = new SqliteRegistryStore({ path: ':memory:' });
  const signingKey = (await generateKeyPair('EdDSA', { iss: ID })).privateJwk;
  const adminKey = generateApiKey();
  const requests = new Map<string, number>();
  let port = 0;
  let app: FastifyInstance | undefined;

  const start = async () => {
    const started = await buildRegistry({
      store,
      id: ID,
      signingKey,
      adminKeys: [adminKey],
      now: options.now,
      processMetrics: false,
      rateLimit: false,
      closeStore: false,
    });
    started.addHook('onResponse', async (request, reply) => {
      const route = `${request.method} ${request.routeOptions.url ?? request.url} ${reply.statusCode}`;
      requests.set(route, (requests.get(route) ?? 0) + 1);
    });
    const url = await started.listen({ host: '127.0.0.1', port });
    port = Number(new URL(url).port);
    app = started;
    return url;
  };
  const url = await start();

  const call = async (method: 'POST', path: string, key: string, body?: unknown) => {
    const res = await app!.inject({
      method,
      url: path,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };
  const publishers = new Map<string, string>();
  for (const p of options.providers) {
    await call('POST', '/v1/providers', adminKey, { iss: p.iss });
    const issued = await call(
      'POST',
      `/v1/providers/${encodeURIComponent(p.iss)}/api-keys`,
      adminKey,
    );
    publishers.set(p.iss, issued.apiKey as string);
    await call(
      'POST',
      `/v1/providers/${encodeURIComponent(p.iss)}/keys`,
      issued.apiKey as string,
      await trustJwks(p),
    );
  }

  return {
    url,
    id: ID,
    requests,
    async publish(...tools) {
      const byIss = new Map<string, SignedTool[]>();
      for (const t of tools) {
        const jws = t._meta['io.etdi/signature'];
        const { iss } = JSON.parse(
          Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'),
        ) as { iss: string };
        byIss.set(iss, [...(byIss.get(iss) ?? []), t]);
      }
      for (const [iss, batch] of byIss)
        await call('POST', '/v1/tools', publishers.get(iss)!, { tools: batch });
    },
    async setKeys(iss, jwks) {
      await call(
        'POST',
        `/v1/providers/${encodeURIComponent(iss)}/keys`,
        publishers.get(iss)!,
        jwks,
      );
    },
    async revoke(entry) {
      await call('POST', '/v1/revocations', adminKey, entry);
    },
    async failing(down) {
      if (down && app) {
        await app.close();
        app = undefined;
      } else if (!down && !app) {
        await start();
      }
    },
    async close() {
      await app?.close();
      await store.close();
    },
  };
}
