import { SqlRegistryStore } from './sql-registry-store.js';
import { SqliteDriver, type SqliteDriverOptions } from './sqlite-driver.js';

/** Options of {@link SqliteRegistryStore}. */
export type SqliteRegistryStoreOptions = SqliteDriverOptions;

/**
 * The embedded store: one SQLite file in WAL mode (better-sqlite3), durable commits by default.
 * Run `migrate()` before use.
 *
 * @example
 * const store = new SqliteRegistryStore({ path: './data/registry.db' });
 * await store.migrate();
 */
export class SqliteRegistryStore extends SqlRegistryStore {
  constructor(options: SqliteRegistryStoreOptions) {
    super(new SqliteDriver(options));
  }
}
