/** The SQL databases a {@link SqlDriver} speaks to. */
export type Dialect = 'sqlite' | 'postgres';

/** A result row. */
export type Row = Record<string, unknown>;

/**
 * Runs statements written with `?` placeholders (the PostgreSQL driver numbers them). Values are
 * strings, numbers or null.
 */
export interface SqlExecutor {
  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** Isolation of a transaction. */
export interface TransactionOptions {
  /**
   * `write` (the default): statements that write, READ COMMITTED on PostgreSQL with the
   * `ON CONFLICT` and row locks the store uses, an immediate (write-locked) transaction on
   * SQLite. `snapshot`: reads that must agree with each other (REPEATABLE READ; SQLite's
   * deferred transactions read one snapshot).
   */
  readonly mode?: 'write' | 'snapshot';
}

/** One database: statements, transactions, scripts. */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Runs `fn` in a write transaction that also holds the migration lock (an advisory lock on
   * PostgreSQL; SQLite's write lock), so nodes starting together migrate once.
   */
  migrationTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(tx: SqlExecutor, script: string): Promise<void>;
  close(): Promise<void>;
}
