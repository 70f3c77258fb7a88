import type { ApiKeyRecord } from '@etdi/auth';
import type { KeyStatus, PublicJwk, RevocationEntry } from '@etdi/core';
import type { ProviderIdentity } from '../provider-id.js';
import { applyMigrations } from './migrations.js';
import type {
  AddKeysResult,
  AddRevocationResult,
  CreateProviderResult,
  KeyOutcome,
  KeyRecord,
  KeyStatement,
  ListToolsQuery,
  NarrowKey,
  NewToolRecord,
  ProviderRecord,
  PublishResult,
  RegistryStore,
  RevocationSnapshot,
  StoredToolStatus,
  ToolIdentity,
  ToolRecord,
  VersionRecord,
} from './registry-store.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

interface KeyRow {
  kid: string;
  iss: string;
  jwk: string;
  status: KeyStatus;
  not_before: string | null;
  not_after: string | null;
  created_at: string;
  updated_at: string;
}

interface ToolRow {
  iss: string;
  sub: string;
  ver: string;
  dig: string;
  perms: string;
  kid: string;
  iat: number | string;
  body?: string;
  receipt?: string;
  title: string | null;
  description: string | null;
  status: StoredToolStatus;
  published_at: string;
}

interface RevocationRow {
  kid: string | null;
  iss: string | null;
  sub: string | null;
  ver: string | null;
  dig: string | null;
  reason: string | null;
  revoked_at: string;
}

const KEY_COLUMNS = 'kid, iss, jwk, status, not_before, not_after, created_at, updated_at';
const VERSION_COLUMNS =
  'iss, sub, ver, dig, perms, kid, iat, title, description, status, published_at';
const TOOL_COLUMNS = `${VERSION_COLUMNS}, body, receipt`;
const TOOL_INSERT_COLUMNS =
  'iss, sub, ver, dig, perms, kid, iat, body, receipt, title, description, published_at';
const REVOCATION_COLUMNS = 'kid, iss, sub, ver, dig, reason, revoked_at';
// Rows per multi-row INSERT: well under both databases' limits on bound parameters.
const INSERT_CHUNK = 500;

function keyRecord(row: KeyRow): KeyRecord {
  return {
    kid: row.kid,
    iss: row.iss,
    jwk: JSON.parse(row.jwk) as PublicJwk,
    status: row.status,
    ...(row.not_before === null ? {} : { notBefore: row.not_before }),
    ...(row.not_after === null ? {} : { notAfter: row.not_after }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function versionRecord(row: ToolRow): VersionRecord {
  return {
    iss: row.iss,
    sub: row.sub,
    ver: row.ver,
    dig: row.dig,
    perms: JSON.parse(row.perms) as string[],
    kid: row.kid,
    iat: Number(row.iat),
    ...(row.title === null ? {} : { title: row.title }),
    ...(row.description === null ? {} : { description: row.description }),
    status: row.status,
    publishedAt: row.published_at,
  };
}

function toolRecord(row: ToolRow): ToolRecord {
  return { ...versionRecord(row), body: row.body!, receipt: row.receipt! };
}

function revocationEntry(row: RevocationRow): RevocationEntry {
  const entry: RevocationEntry = { revokedAt: row.revoked_at };
  if (row.kid !== null) entry.kid = row.kid;
  if (row.iss !== null) entry.iss = row.iss;
  if (row.sub !== null) entry.sub = row.sub;
  if (row.ver !== null) entry.ver = row.ver;
  if (row.dig !== null) entry.dig = row.dig;
  if (row.reason !== null) entry.reason = row.reason;
  return entry;
}

/** What an entry covers, as one comparable string: two entries that cover the same are one. */
function selectorOf(entry: RevocationEntry): string {
  const m = (v: string | undefined) => v ?? null;
  return JSON.stringify([m(entry.kid), m(entry.iss), m(entry.sub), m(entry.ver), m(entry.dig)]);
}

const samePerms = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((p, i) => p === b[i]);

const identityOrder = (a: NewToolRecord, b: NewToolRecord) =>
  a.iss < b.iss
    ? -1
    : a.iss > b.iss
      ? 1
      : a.sub < b.sub
        ? -1
        : a.sub > b.sub
          ? 1
          : a.ver < b.ver
            ? -1
            : a.ver > b.ver
              ? 1
              : 0;

function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Thrown inside a transaction to roll it back and hand a value out. */
class Rollback<T> {
  constructor(readonly value: T) {}
}

async function rollbackWith<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof Rollback) return e.value as T;
    throw e;
  }
}

/**
 * The {@link RegistryStore} over a SQL driver: one implementation of every operation for SQLite
 * and PostgreSQL, so the two stores cannot drift apart. Concurrency rests on the database:
 * unique indexes with `INSERT ... ON CONFLICT DO NOTHING` for immutability and namespaces, one
 * locked row for the revocation sequence, rows of a batch written in one order (no deadlocks).
 */
export class SqlRegistryStore implements RegistryStore {
  readonly kind: 'sqlite' | 'postgres';
  protected readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
    this.kind = driver.dialect;
  }

  migrate(): Promise<{ applied: number[]; version: number }> {
    return applyMigrations(this.driver);
  }

  async ping(): Promise<void> {
    await this.driver.get('SELECT seq FROM revocation_state WHERE id = 1');
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  // Providers

  async createProvider(
    identity: ProviderIdentity,
    createdAt: string,
  ): Promise<CreateProviderResult> {
    const inserted = await this.driver.run(
      'INSERT INTO providers (iss, folded, skeleton, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [identity.iss, identity.folded, identity.skeleton, createdAt],
    );
    if (inserted === 1) return { ok: true, provider: { iss: identity.iss, createdAt } };
    const rows = await this.driver.all<{ iss: string; folded: string }>(
      'SELECT iss, folded FROM providers WHERE iss = ? OR folded = ? OR skeleton = ?',
      [identity.iss, identity.folded, identity.skeleton],
    );
    const same = rows.find((r) => r.folded === identity.folded);
    if (same) return { ok: false, error: 'provider-exists', existing: same.iss };
    return { ok: false, error: 'confusable-provider', existing: rows[0]?.iss ?? identity.iss };
  }

  async getProvider(iss: string): Promise<ProviderRecord | undefined> {
    const row = await this.driver.get<{ iss: string; created_at: string }>(
      'SELECT iss, created_at FROM providers WHERE iss = ?',
      [iss],
    );
    return row && { iss: row.iss, createdAt: row.created_at };
  }

  async findSimilarProvider(identity: ProviderIdentity): Promise<ProviderRecord | undefined> {
    const row = await this.driver.get<{ iss: string; created_at: string }>(
      'SELECT iss, created_at FROM providers WHERE folded = ? OR skeleton = ? ORDER BY iss LIMIT 1',
      [identity.folded, identity.skeleton],
    );
    return row && { iss: row.iss, createdAt: row.created_at };
  }

  // Keys

  addKeys(
    iss: string,
    keys: readonly KeyStatement[],
    narrow: NarrowKey,
    now: string,
  ): Promise<AddKeysResult> {
    const order = keys.map((k, i) => [k, i] as const).sort(([a], [b]) => (a.kid < b.kid ? -1 : 1));
    return rollbackWith(() =>
      this.driver.transaction(async (tx) => {
        const out: KeyOutcome[] = [];
        for (const [key, index] of order) {
          const inserted = await tx.run(
            `INSERT INTO signing_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING`,
            [
              key.kid,
              iss,
              JSON.stringify(key.jwk),
              key.status,
              key.notBefore ?? null,
              key.notAfter ?? null,
              now,
              now,
            ],
          );
          const row = await tx.get<KeyRow>(
            `SELECT ${KEY_COLUMNS} FROM signing_keys WHERE kid = ?${this.#forUpdate}`,
            [key.kid],
          );
          const current = keyRecord(row!);
          if (current.iss !== iss) {
            throw new Rollback<AddKeysResult>({ ok: false, kid: key.kid, boundTo: current.iss });
          }
          if (inserted === 1) {
            if (key.status === 'revoked') await this.#revokeKid(tx, key.kid, now);
            out[index] = { record: current, outcome: 'added' };
            continue;
          }
          const next = await narrow(current, key);
          if (!next) {
            out[index] = { record: current, outcome: 'unchanged' };
            continue;
          }
          await tx.run(
            'UPDATE signing_keys SET status = ?, not_before = ?, not_after = ?, updated_at = ? WHERE kid = ?',
            [next.status, next.notBefore ?? null, next.notAfter ?? null, now, key.kid],
          );
          if (next.status === 'revoked' && current.status !== 'revoked') {
            await this.#revokeKid(tx, key.kid, now);
          }
          const { notBefore: _b, notAfter: _a, ...rest } = current;
          out[index] = {
            record: {
              ...rest,
              status: next.status,
              ...(next.notBefore === undefined ? {} : { notBefore: next.notBefore }),
              ...(next.notAfter === undefined ? {} : { notAfter: next.notAfter }),
              updatedAt: now,
            },
            outcome: 'updated',
          };
        }
        return { ok: true, keys: out } as AddKeysResult;
      }),
    );
  }

  get #forUpdate(): string {
    // SQLite's write transaction already excludes other writers.
    return this.kind === 'postgres' ? ' FOR UPDATE' : '';
  }

  async #revokeKid(tx: SqlExecutor, kid: string, now: string): Promise<void> {
    await this.#insertRevocation(tx, { kid, revokedAt: now, reason: 'key revoked' });
  }

  async getKey(kid: string): Promise<KeyRecord | undefined> {
    const row = await this.driver.get<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM signing_keys WHERE kid = ?`,
      [kid],
    );
    return row && keyRecord(row);
  }

  async listKeys(
    filter: { iss?: readonly string[]; kid?: readonly string[] } = {},
  ): Promise<KeyRecord[]> {
    const iss = filter.iss ?? [];
    const kid = filter.kid ?? [];
    if (filter.iss === undefined && filter.kid === undefined) {
      const rows = await this.driver.all<KeyRow>(
        `SELECT ${KEY_COLUMNS} FROM signing_keys ORDER BY iss, created_at, kid`,
      );
      return rows.map(keyRecord);
    }
    if (iss.length === 0 && kid.length === 0) return [];
    const clauses: string[] = [];
    if (iss.length > 0) clauses.push(`iss IN (${iss.map(() => '?').join(', ')})`);
    if (kid.length > 0) clauses.push(`kid IN (${kid.map(() => '?').join(', ')})`);
    const rows = await this.driver.all<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM signing_keys WHERE ${clauses.join(' OR ')} ORDER BY iss, created_at, kid`,
      [...iss, ...kid],
    );
    return rows.map(keyRecord);
  }

  // Tools

  publish(tools: readonly NewToolRecord[]): Promise<PublishResult> {
    // One order for every batch, so two batches that overlap never wait on each other in a cycle.
    const order = tools.map((t, i) => [t, i] as const).sort(([a], [b]) => identityOrder(a, b));
    return rollbackWith(() =>
      this.driver.transaction(async (tx) => {
        const created = new Set<string>();
        for (let start = 0; start < order.length; start += INSERT_CHUNK) {
          const chunk = order.slice(start, start + INSERT_CHUNK);
          const rows = await tx.all<{ iss: string; sub: string; ver: string }>(
            `INSERT INTO tools (${TOOL_INSERT_COLUMNS}) VALUES ${chunk
              .map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
              .join(', ')} ON CONFLICT (iss, sub, ver) DO NOTHING RETURNING iss, sub, ver`,
            chunk.flatMap(([t]) => [
              t.iss,
              t.sub,
              t.ver,
              t.dig,
              JSON.stringify(t.perms),
              t.kid,
              t.iat,
              t.body,
              t.receipt,
              t.title ?? null,
              t.description ?? null,
              t.publishedAt,
            ]),
          );
          for (const r of rows) created.add(JSON.stringify([r.iss, r.sub, r.ver]));
        }
        const results: { outcome: 'created' | 'unchanged'; record: ToolRecord }[] = [];
        for (const [tool, index] of order) {
          if (created.has(JSON.stringify([tool.iss, tool.sub, tool.ver]))) {
            results[index] = { outcome: 'created', record: { ...tool, status: 'active' } };
            continue;
          }
          const row = await tx.get<ToolRow>(
            `SELECT ${TOOL_COLUMNS} FROM tools WHERE iss = ? AND sub = ? AND ver = ?`,
            [tool.iss, tool.sub, tool.ver],
          );
          const existing = toolRecord(row!);
          if (existing.dig !== tool.dig || !samePerms(existing.perms, tool.perms)) {
            throw new Rollback<PublishResult>({ ok: false, index, existing });
          }
          results[index] = { outcome: 'unchanged', record: existing };
        }
        return { ok: true, results } as PublishResult;
      }),
    );
  }

  async getTool(iss: string, sub: string, ver: string): Promise<ToolRecord | undefined> {
    const row = await this.driver.get<ToolRow>(
      `SELECT ${TOOL_COLUMNS} FROM tools WHERE iss = ? AND sub = ? AND ver = ?`,
      [iss, sub, ver],
    );
    return row && toolRecord(row);
  }

  async listVersions(iss: string, sub: string): Promise<VersionRecord[]> {
    const rows = await this.driver.all<ToolRow>(
      `SELECT ${VERSION_COLUMNS} FROM tools WHERE iss = ? AND sub = ? ORDER BY id`,
      [iss, sub],
    );
    return rows.map(versionRecord);
  }

  async toolsByDigest(dig: string): Promise<ToolRecord[]> {
    const rows = await this.driver.all<ToolRow>(
      `SELECT ${TOOL_COLUMNS} FROM tools WHERE dig = ? ORDER BY id`,
      [dig],
    );
    return rows.map(toolRecord);
  }

  async listTools(query: ListToolsQuery): Promise<ToolIdentity[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.iss !== undefined) {
      where.push('iss = ?');
      params.push(query.iss);
    }
    if (query.q !== undefined && query.q !== '') {
      const like = likePattern(query.q);
      where.push(
        "(LOWER(sub) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(title, '')) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(description, '')) LIKE ? ESCAPE '\\')",
      );
      params.push(like, like, like);
    }
    if (query.after) {
      where.push('(iss, sub) > (?, ?)');
      params.push(query.after.iss, query.after.sub);
    }
    params.push(query.limit);
    return this.driver.all<ToolIdentity>(
      `SELECT iss, sub FROM tools${where.length ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY iss, sub ORDER BY iss, sub LIMIT ?`,
      params,
    );
  }

  async versionsOf(tools: readonly ToolIdentity[]): Promise<VersionRecord[]> {
    if (tools.length === 0) return [];
    const rows = await this.driver.all<ToolRow>(
      `SELECT ${VERSION_COLUMNS} FROM tools WHERE (iss, sub) IN (VALUES ${tools.map(() => '(?, ?)').join(', ')}) ORDER BY iss, sub, id`,
      tools.flatMap((t) => [t.iss, t.sub]),
    );
    return rows.map(versionRecord);
  }

  async setToolStatus(
    iss: string,
    sub: string,
    ver: string,
    status: StoredToolStatus,
  ): Promise<boolean> {
    const changed = await this.driver.run(
      'UPDATE tools SET status = ? WHERE iss = ? AND sub = ? AND ver = ?',
      [status, iss, sub, ver],
    );
    return changed === 1;
  }

  // Revocations

  async #insertRevocation(tx: SqlExecutor, entry: RevocationEntry): Promise<AddRevocationResult> {
    const selector = selectorOf(entry);
    const inserted = await tx.run(
      `INSERT INTO revocations (selector, ${REVOCATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (selector) DO NOTHING`,
      [
        selector,
        entry.kid ?? null,
        entry.iss ?? null,
        entry.sub ?? null,
        entry.ver ?? null,
        entry.dig ?? null,
        entry.reason ?? null,
        entry.revokedAt,
      ],
    );
    if (inserted === 1) {
      // The one row every node updates: concurrent revocations queue on its lock, so the
      // sequence moves by exactly one per entry and never backwards.
      const state = await tx.get<{ seq: number | string }>(
        'UPDATE revocation_state SET seq = seq + 1 WHERE id = 1 RETURNING seq',
      );
      return { created: true, seq: Number(state!.seq), entry };
    }
    const row = await tx.get<RevocationRow>(
      `SELECT ${REVOCATION_COLUMNS} FROM revocations WHERE selector = ?`,
      [selector],
    );
    const state = await tx.get<{ seq: number | string }>(
      'SELECT seq FROM revocation_state WHERE id = 1',
    );
    return { created: false, seq: Number(state!.seq), entry: revocationEntry(row!) };
  }

  addRevocation(entry: RevocationEntry): Promise<AddRevocationResult> {
    return this.driver.transaction(async (tx) => {
      const result = await this.#insertRevocation(tx, entry);
      if (result.created && entry.kid !== undefined) {
        await tx.run("UPDATE signing_keys SET status = 'revoked', updated_at = ? WHERE kid = ?", [
          entry.revokedAt,
          entry.kid,
        ]);
      }
      return result;
    });
  }

  async revocationSeq(): Promise<number> {
    const row = await this.driver.get<{ seq: number | string }>(
      'SELECT seq FROM revocation_state WHERE id = 1',
    );
    return Number(row!.seq);
  }

  revocations(): Promise<RevocationSnapshot> {
    // One snapshot: the entries and the sequence number they belong to agree.
    return this.driver.transaction(
      async (tx) => {
        const state = await tx.get<{ seq: number | string }>(
          'SELECT seq FROM revocation_state WHERE id = 1',
        );
        const rows = await tx.all<RevocationRow>(
          `SELECT ${REVOCATION_COLUMNS} FROM revocations ORDER BY id`,
        );
        return { seq: Number(state!.seq), entries: rows.map(revocationEntry) };
      },
      { mode: 'snapshot' },
    );
  }

  // API keys

  async getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.driver.get<{ record: string }>(
      'SELECT record FROM api_keys WHERE key_id = ?',
      [keyId],
    );
    return row && (JSON.parse(row.record) as ApiKeyRecord);
  }

  async setApiKey(record: ApiKeyRecord): Promise<void> {
    await this.driver.run(
      'INSERT INTO api_keys (key_id, iss, record, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (key_id) DO UPDATE SET record = excluded.record',
      [
        record.keyId,
        record.projectId ?? null,
        JSON.stringify(record),
        new Date(record.createdAt).toISOString(),
      ],
    );
  }

  async deleteApiKey(keyId: string): Promise<boolean> {
    return (await this.driver.run('DELETE FROM api_keys WHERE key_id = ?', [keyId])) === 1;
  }
}
