import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlDriver, SqlExecutor, TransactionOptions } from './sql-driver.js';
import { storeError } from './store-error.js';

/** Options of {@link SqliteDriver}. */
export interface SqliteDriverOptions {
  /** A file path, or `:memory:`. Missing parent directories are created. */
  readonly path: string;
  /**
   * `FULL` (default): a commit is on disk before it is acknowledged, even across a power loss.
   * `NORMAL`: WAL commits survive a crash of the process but may be lost with the machine.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's write lock. Default 5000. */
  readonly busyTimeoutMs?: number;
}

// Failures of the database file or its locks, not of a statement: the caller may try again.
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return UNAVAILABLE.test(code);
  return error instanceof TypeError && /database connection is not open/.test(error.message);
}

/**
 * better-sqlite3 in WAL mode behind the asynchronous {@link SqlDriver} interface. One connection
 * serves the process: statements are synchronous, so a transaction whose body awaits holds a
 * lock that every other statement waits for, and no statement ever sees a transaction's
 * uncommitted rows.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  // The tail of the queue of transactions (never rejected); statements outside one wait for it.
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(options: SqliteDriverOptions) {
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      this.#db = new Database(options.path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      this.#db.pragma('foreign_keys = ON');
      this.#db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    } catch (error) {
      throw storeError(error, true);
    }
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #sync<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw storeError(error, isUnavailable(error));
    }
  }

  readonly #executor: SqlExecutor = {
    all: async <T>(sql: string, params: readonly unknown[] = []) =>
      this.#sync(() => this.#statement(sql).all(...params) as T[]),
    get: async <T>(sql: string, params: readonly unknown[] = []) =>
      this.#sync(() => this.#statement(sql).get(...params) as T | undefined),
    run: async (sql: string, params: readonly unknown[] = []) =>
      this.#sync(() => this.#statement(sql).run(...params).changes),
  };

  /** Runs `work` after everything queued before it (FIFO); the count says whether any is. */
  #queue<T>(work: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#tail.then(work);
    const settle = () => {
      this.#pending--;
    };
    // The queue's tail never rejects: a failure is its caller's to handle.
    this.#tail = run.then(settle, settle);
    return run;
  }

  /** A statement outside a transaction: at once when nothing is queued, else in turn. */
  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    return this.#pending === 0 ? work() : this.#queue(work);
  }

  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.#enqueue(() => this.#executor.all<T>(sql, params));
  }

  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    return this.#enqueue(() => this.#executor.get<T>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.#enqueue(() => this.#executor.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const begin = options?.mode === 'snapshot' ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE';
    return this.#queue(() => this.#run(begin, fn));
  }

  async #run<T>(begin: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.#sync(() => this.#db.exec(begin));
    try {
      const result = await fn(this.#executor);
      this.#sync(() => this.#db.exec('COMMIT'));
      return result;
    } catch (error) {
      if (this.#db.inTransaction) {
        try {
          this.#db.exec('ROLLBACK');
        } catch {
          // The transaction is gone already (the connection failed); the first error says why.
        }
      }
      throw error;
    }
  }

  migrationTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE takes SQLite's write lock: a second process waits (busy timeout) and then
    // sees the migrations applied.
    return this.transaction(fn);
  }

  async exec(_tx: SqlExecutor, script: string): Promise<void> {
    this.#sync(() => this.#db.exec(script));
  }

  async close(): Promise<void> {
    await this.#tail;
    if (this.#db.open) this.#db.close();
  }
}
