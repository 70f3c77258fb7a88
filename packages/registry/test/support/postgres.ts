import pg from 'pg';
import type { ServiceInfo } from '../../../../testing/services.js';
import { PostgresRegistryStore } from '../../src/index.js';

/**
 * PostgreSQL schemas for one test file: each `create()` makes a new, empty schema (named after
 * this run) and a store over it; `dropAll()` drops every schema made.
 */
export function postgresSchemas(info: ServiceInfo, label: string) {
  const made: string[] = [];
  const stores: PostgresRegistryStore[] = [];
  const run = `etdi_reg_${label}_${process.pid}_${Date.now().toString(36)}`;
  const schemaName = (): string => {
    const schema = `${run}_${made.length}`;
    made.push(schema);
    return schema;
  };
  return {
    url: info.url,
    /** A new schema name (not yet created: `migrate` creates it). */
    schemaName,
    async create(schema = schemaName()): Promise<PostgresRegistryStore> {
      const store = new PostgresRegistryStore({ connectionString: info.url, schema });
      stores.push(store);
      await store.migrate();
      return store;
    },
    async dropAll(): Promise<void> {
      await Promise.allSettled(stores.map((s) => s.close()));
      const client = new pg.Client({ connectionString: info.url });
      await client.connect();
      try {
        for (const schema of made) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
