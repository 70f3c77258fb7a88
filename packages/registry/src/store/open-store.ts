import type { Logger } from '@etdi/core';
import { PostgresRegistryStore } from './postgres-registry-store.js';
import type { RegistryStore } from './registry-store.js';
import { SqliteRegistryStore } from './sqlite-registry-store.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** PostgreSQL schema for the tables (created on migrate). */
  readonly schema?: string;
  readonly logger?: Logger;
}

/**
 * Opens the store a `--db` value names: a `postgres://` (or `postgresql://`) URL, else a SQLite
 * file path (or `:memory:`). Does not migrate.
 *
 * @example
 * const store = openStore(process.env.ETDI_REGISTRY_DB ?? './data/registry.db');
 */
export function openStore(db: string, options: OpenStoreOptions = {}): RegistryStore {
  if (/^postgres(ql)?:\/\//i.test(db)) {
    return new PostgresRegistryStore({
      connectionString: db,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }
  return new SqliteRegistryStore({ path: db });
}
