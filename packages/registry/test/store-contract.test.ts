import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithService, service } from '../../../testing/services.js';
import { SqliteRegistryStore, type RegistryStore } from '../src/index.js';
import { postgresSchemas } from './support/postgres.js';
import { registryStoreContract } from './support/store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'etdi-registry-contract-'));
let files = 0;
const paths = new WeakMap<RegistryStore, string>();
const open: RegistryStore[] = [];

registryStoreContract('SqliteRegistryStore', {
  create: async () => {
    const path = join(dir, `store-${files++}.db`);
    const store = new SqliteRegistryStore({ path });
    paths.set(store, path);
    open.push(store);
    await store.migrate();
    return store;
  },
  peer: async (first) => {
    const store = new SqliteRegistryStore({ path: paths.get(first)! });
    await store.migrate();
    return store;
  },
  cleanup: async () => {
    await Promise.allSettled(open.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  },
});

const postgres = await service('postgres');
describeWithService(postgres, 'PostgresRegistryStore', () => {
  const schemas = postgresSchemas(postgres, 'contract');
  const schemaOf = new WeakMap<RegistryStore, string>();
  registryStoreContract('PostgresRegistryStore', {
    create: async () => {
      const schema = schemas.schemaName();
      const store = await schemas.create(schema);
      schemaOf.set(store, schema);
      return store;
    },
    peer: async (first) => schemas.create(schemaOf.get(first)!),
    cleanup: () => schemas.dropAll(),
  });
});
