import type { Dialect, SqlDriver } from './sql-driver.js';

/** One schema change, applied once, in version order, inside a transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** SQL with `{id}` (an auto-increment key) and `{key}` (a compared text column). */
  readonly sql: string;
}

// The same migrations run on both databases; only these spellings differ. Text that is compared
// or ordered uses byte order ("C") on PostgreSQL, as SQLite does, so both stores page alike.
const SPELLINGS: Record<Dialect, Record<'id' | 'key', string>> = {
  sqlite: { id: 'INTEGER PRIMARY KEY AUTOINCREMENT', key: 'TEXT' },
  postgres: { id: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY', key: 'TEXT COLLATE "C"' },
};

/** Every migration of the registry schema, oldest first. Never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'providers, keys, tools, revocations, api keys',
    sql: `
CREATE TABLE providers (
  iss {key} PRIMARY KEY,
  folded {key} NOT NULL,
  skeleton {key} NOT NULL,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX providers_folded ON providers (folded);
CREATE UNIQUE INDEX providers_skeleton ON providers (skeleton);

CREATE TABLE signing_keys (
  kid {key} PRIMARY KEY,
  iss {key} NOT NULL REFERENCES providers (iss),
  jwk TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'retired', 'revoked')),
  not_before TEXT,
  not_after TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX signing_keys_iss ON signing_keys (iss);

CREATE TABLE tools (
  id {id},
  iss {key} NOT NULL REFERENCES providers (iss),
  sub {key} NOT NULL,
  ver {key} NOT NULL,
  dig {key} NOT NULL,
  perms TEXT NOT NULL,
  kid {key} NOT NULL,
  iat BIGINT NOT NULL,
  body TEXT NOT NULL,
  receipt TEXT NOT NULL,
  title TEXT,
  description TEXT,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deprecated')),
  published_at TEXT NOT NULL
);
CREATE UNIQUE INDEX tools_identity ON tools (iss, sub, ver);
CREATE INDEX tools_dig ON tools (dig);

CREATE TABLE revocations (
  id {id},
  selector {key} NOT NULL,
  kid {key},
  iss {key},
  sub {key},
  ver {key},
  dig {key},
  reason TEXT,
  revoked_at TEXT NOT NULL
);
CREATE UNIQUE INDEX revocations_selector ON revocations (selector);

CREATE TABLE revocation_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL
);
INSERT INTO revocation_state (id, seq) VALUES (1, 0);

CREATE TABLE api_keys (
  key_id {key} PRIMARY KEY,
  iss {key} REFERENCES providers (iss),
  record TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX api_keys_iss ON api_keys (iss);
`,
  },
];

/** The SQL of a migration for one database. */
export function migrationSql(migration: Migration, dialect: Dialect): string {
  const spell = SPELLINGS[dialect];
  return migration.sql.replaceAll('{id}', spell.id).replaceAll('{key}', spell.key);
}

/**
 * Applies the migrations a database lacks, under the driver's migration lock, each recorded in
 * `schema_migrations` in the same transaction as its changes.
 */
export async function applyMigrations(
  driver: SqlDriver,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<{ applied: number[]; version: number }> {
  return driver.migrationTransaction(async (tx) => {
    await driver.exec(
      tx,
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const done = new Set(
      (await tx.all<{ version: number | string }>('SELECT version FROM schema_migrations')).map(
        (r) => Number(r.version),
      ),
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await driver.exec(tx, migrationSql(m, driver.dialect));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
      applied.push(m.version);
    }
    const version = Math.max(0, ...done, ...applied);
    return { applied, version };
  });
}
