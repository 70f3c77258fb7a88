import pg from 'pg';
import type { Logger } from '@etdi/core';
import { silentLogger } from '@etdi/core';
import type { SqlDriver, SqlExecutor, TransactionOptions } from './sql-driver.js';
import { RegistryError } from '../errors.js';
import { storeError } from './store-error.js';

/** Options of {@link PostgresDriver}. */
export interface PostgresDriverOptions {
  /** `postgres://user@host:5432/db`. */
  readonly connectionString: string;
  /** The schema the registry's tables live in (created by `migrate`). Default: the search path. */
  readonly schema?: string;
  /** Connections in the pool. Default 10. */
  readonly maxConnections?: number;
  /** How long to wait for a connection. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Longest a statement may run. Default 30000. */
  readonly statementTimeoutMs?: number;
  /** `application_name` of the connections (shows in `pg_stat_activity`). Default `etdi-registry`. */
  readonly applicationName?: string;
  readonly logger?: Logger;
}

// The migration lock: one number every registry node agrees on.
const MIGRATION_LOCK = 0x45_54_44_49; // "ETDI"

// SQLSTATE classes that mean "the database cannot do it now", not "the statement is wrong":
// 08 connection exception, 53 insufficient resources, 57 operator intervention (a terminated
// backend, a server shutting down), 40001/40P01 serialization failure and deadlock.
const UNAVAILABLE_STATES = /^(08|53|57|40001|40P01|55P03)/;

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_STATES.test(code)) return true;
    // Node socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE...
    if (/^E[A-Z]+$/.test(code)) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect|Cannot use a pool after calling end/i.test(
    message,
  );
}

/** Quotes an identifier for SQL (`"my schema"`). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `?` placeholders to PostgreSQL's `$1, $2, ...` (the store's SQL has no `?` in literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * A `pg` pool behind the {@link SqlDriver} interface. Transactions run on one pooled connection;
 * a connection that failed is destroyed, not returned to the pool, so the next request gets a
 * fresh one: a terminated backend costs the request it was serving, never the ones after it.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #schema: string | undefined;
  readonly #logger: Logger;
  readonly #sqlCache = new Map<string, string>();
  readonly #pooled: SqlExecutor;

  constructor(options: PostgresDriverOptions) {
    this.#schema = options.schema;
    this.#logger = options.logger ?? silentLogger;
    const settings = [`-c statement_timeout=${options.statementTimeoutMs ?? 30_000}`];
    if (options.schema) settings.push(`-c search_path=${quoteIdentifier(options.schema)}`);
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: options.applicationName ?? 'etdi-registry',
      options: settings.join(' '),
    });
    // An idle connection whose backend went away: the pool drops it; nothing else to do.
    this.#pool.on('error', (error) => {
      this.#logger.warn({ error: error.message }, 'idle PostgreSQL connection lost');
    });
    this.#pooled = this.#executor(this.#pool);
  }

  #sql(sql: string): string {
    let out = this.#sqlCache.get(sql);
    if (out === undefined) {
      out = numbered(sql);
      this.#sqlCache.set(sql, out);
    }
    return out;
  }

  #executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
    const query = async (sql: string, params: readonly unknown[] = []) => {
      try {
        return await client.query(this.#sql(sql), params as unknown[]);
      } catch (error) {
        throw storeError(error, isUnavailable(error));
      }
    };
    return {
      all: async <T>(sql: string, params?: readonly unknown[]) =>
        (await query(sql, params)).rows as T[],
      get: async <T>(sql: string, params?: readonly unknown[]) =>
        (await query(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params?: readonly unknown[]) =>
        (await query(sql, params)).rowCount ?? 0,
    };
  }

  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.#pooled.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    return this.#pooled.get<T>(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.#pooled.run(sql, params);
  }

  async transaction<T>(
    fn: (tx: SqlExecutor) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    return this.#inTransaction(
      options?.mode === 'snapshot' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN',
      fn,
    );
  }

  async migrationTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#inTransaction('BEGIN', async (tx) => {
      await tx.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      if (this.#schema)
        await tx.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.#schema)}`);
      return fn(tx);
    });
  }

  async #inTransaction<T>(begin: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw storeError(error, true);
    }
    // A backend terminated while this connection is checked out emits 'error' on it; without a
    // listener that would end the process.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    const tx = this.#executor(client);
    try {
      await tx.run(begin);
      const result = await fn(tx);
      await tx.run('COMMIT');
      return result;
    } catch (error) {
      // A lost connection cannot roll back: the server rolls back when the session ends.
      if (error instanceof RegistryError && error.code === 'store-unavailable') broken ??= error;
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
      }
      throw error;
    } finally {
      client.removeListener('error', onError);
      // A broken connection is destroyed (release with an error), never reused.
      client.release(broken ?? false);
    }
  }

  async exec(tx: SqlExecutor, script: string): Promise<void> {
    await tx.run(script);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
