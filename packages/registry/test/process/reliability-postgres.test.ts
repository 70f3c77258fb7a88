import { TrustStore, verifyRevocationList, type RevocationList } from '@etdi/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeWithService, service } from '../../../../testing/services.js';
import { buildRegistry, PostgresRegistryStore } from '../../src/index.js';
import { call, setupProvider } from '../support/http-client.js';
import { providerKey, signed, type ProviderKey } from '../support/keys.js';
import { postgresSchemas } from '../support/postgres.js';
import { raceOneVersion } from '../support/race.js';
import {
  registryFiles,
  startRegistryProcess,
  type RegistryProcess,
} from '../support/registry-process.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const postgres = await service('postgres');

describeWithService(postgres, 'PostgreSQL registry', () => {
  const schemas = postgresSchemas(postgres, 'reliability');
  const files = registryFiles();
  afterAll(async () => {
    await schemas.dropAll();
    files.remove();
  });

  describe('two registry processes on one database', () => {
    let a: RegistryProcess;
    let b: RegistryProcess;
    let acme: { pk: ProviderKey; apiKey: string };
    beforeAll(async () => {
      const schema = schemas.schemaName();
      const keyFile = await files.keyFile();
      const args = [
        '--db',
        postgres.url,
        '--db-schema',
        schema,
        '--key',
        keyFile,
        '--id',
        files.id,
      ];
      const env = { ETDI_REGISTRY_ADMIN_KEY: files.adminKey };
      [a, b] = await Promise.all([
        startRegistryProcess(args, { env }),
        startRegistryProcess(args, { env }),
      ]);
      acme = await setupProvider(a.url, files.adminKey, 'com.acme');
    });
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
    });

    it('a publish to either node is served by both, byte for byte, with one receipt', async () => {
      for (const [to, from, name] of [
        [a, b, 'via_a'],
        [b, a, 'via_b'],
      ] as const) {
        const t = await signed(acme.pk, name);
        expect(
          (await call(to.url, 'POST', '/v1/tools', { key: acme.apiKey, body: { tools: [t] } }))
            .status,
        ).toBe(201);
        const here = await call(to.url, 'GET', `/v1/tools/com.acme/${name}/1.0.0`);
        const there = await call(from.url, 'GET', `/v1/tools/com.acme/${name}/1.0.0`);
        expect(there.body).toBe(JSON.stringify(t));
        expect(there.headers.get('etdi-receipt')).toBe(here.headers.get('etdi-receipt'));
      }
    });

    it('50 concurrent publishes of one version, two digests, over both nodes: exactly one stored', async () => {
      await raceOneVersion([a.url, b.url], acme, 'raced_tool');
    });

    it('the revocation seq never goes backwards, whichever node answers', async () => {
      const doc = (await call(a.url, 'GET', '/.well-known/etdi-registry')).json<{
        keys: unknown;
      }>();
      const trust = await TrustStore.fromJwks(doc.keys);
      let current: RevocationList | undefined;
      const fetchList = async (node: RegistryProcess) => {
        const res = await call(node.url, 'GET', '/v1/revocations');
        // Refuses a lower seq than the one held: a rollback would throw here.
        current = await verifyRevocationList(res.body, {
          trust,
          issuer: files.id,
          ...(current ? { current } : {}),
        });
        return current.seq;
      };
      let expected = await fetchList(a);
      for (let i = 0; i < 6; i++) {
        const node = i % 2 ? a : b;
        const res = await call(node.url, 'POST', '/v1/revocations', {
          key: files.adminKey,
          body: { kid: `leaked-${i}`, reason: 'test' },
        });
        expect(res.status).toBe(201);
        expected += 1;
        expect(res.json().seq).toBe(expected);
        expect(await fetchList(a)).toBe(expected);
        expect(await fetchList(b)).toBe(expected);
      }
      const burst = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          call((i % 2 ? a : b).url, 'POST', '/v1/revocations', {
            key: files.adminKey,
            body: { kid: `burst-${i}` },
          }),
        ),
      );
      expect(burst.map((r) => r.json<{ seq: number }>().seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 10 }, (_, i) => expected + i + 1),
      );
      expect(await fetchList(b)).toBe(expected + 10);
      expect(await fetchList(a)).toBe(expected + 10);
      expect(current!.entries).toHaveLength(expected + 10);
    });
  });

  describe('a connection dropped mid-request', () => {
    const appName = `etdi-registry-test-${process.pid}`;
    let schema: string;
    let store: PostgresRegistryStore;
    let app: Awaited<ReturnType<typeof buildRegistry>>;
    let base: string;
    let admin: pg.Client;
    beforeAll(async () => {
      schema = schemas.schemaName();
      store = new PostgresRegistryStore({
        connectionString: postgres.url,
        schema,
        applicationName: appName,
      });
      const registryKey = await providerKey(files.id);
      app = await buildRegistry({
        store,
        id: files.id,
        signingKey: registryKey.key,
        adminKeys: [files.adminKey],
        processMetrics: false,
      });
      base = await app.listen({ host: '127.0.0.1', port: 0 });
      admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
    });
    afterAll(async () => {
      await admin?.end();
      await app?.close();
    });

    it('gets 503 when its backend is terminated; the next requests succeed without a restart', async () => {
      const acme = await setupProvider(base, files.adminKey, 'com.acme');
      const t = await signed(acme.pk, 'dropped_tool');
      // Hold the publish inside its transaction: it waits for this lock.
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE "${schema}".tools IN ACCESS EXCLUSIVE MODE`);
      const pending = call(base, 'POST', '/v1/tools', { key: acme.apiKey, body: { tools: [t] } });
      let pid: number | undefined;
      for (let tries = 0; pid === undefined && tries < 500; tries++) {
        const waiting = await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [appName],
        );
        pid = waiting.rows[0]?.pid;
      }
      expect(pid).toBeDefined();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const dropped = await pending;
      await admin.query('ROLLBACK');
      expect([dropped.status, dropped.json().code]).toEqual([503, 'store-unavailable']);
      expect(dropped.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      // Nothing was half-written.
      expect((await call(base, 'GET', '/v1/tools/com.acme/dropped_tool/1.0.0')).status).toBe(404);
      const again = await call(base, 'POST', '/v1/tools', {
        key: acme.apiKey,
        body: { tools: [t] },
      });
      expect(again.status).toBe(201);
      expect((await call(base, 'GET', '/readyz')).status).toBe(200);
    });
  });
});
