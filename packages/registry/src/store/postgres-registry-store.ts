import { PostgresDriver, type PostgresDriverOptions } from './postgres-driver.js';
import { SqlRegistryStore } from './sql-registry-store.js';

/** Options of {@link PostgresRegistryStore}. */
export type PostgresRegistryStoreOptions = PostgresDriverOptions;

/**
 * The store for registry nodes that scale out: PostgreSQL through a `pg` pool. Every node runs
 * the same migrations (under an advisory lock) and shares the data, including the revocation
 * sequence number. Run `migrate()` before use.
 *
 * @example
 * const store = new PostgresRegistryStore({ connectionString: 'postgres://registry@db/etdi' });
 * await store.migrate();
 */
export class PostgresRegistryStore extends SqlRegistryStore {
  constructor(options: PostgresRegistryStoreOptions) {
    super(new PostgresDriver(options));
  }
}
