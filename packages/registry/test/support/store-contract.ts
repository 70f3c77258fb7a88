import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '@etdi/auth';
import { RevocationList } from '@etdi/core';
import {
  providerIdentity,
  type KeyStatement,
  type NewToolRecord,
  type RegistryStore,
} from '../../src/index.js';
import { narrowKey } from '../../src/service/narrow-key.js';
import { providerKey } from './keys.js';

export interface StoreContractOptions {
  /** A fresh, empty, migrated store for each test. */
  create: () => Promise<RegistryStore>;
  /** A second store over the same data as `first` (another registry node). */
  peer: (first: RegistryStore) => Promise<RegistryStore>;
  cleanup?: () => Promise<void>;
}

const NOW = '2026-01-01T00:00:00.000Z';
const DIG_A = 'A'.repeat(43);
const DIG_B = 'B'.repeat(43);

export function record(over: Partial<NewToolRecord> = {}): NewToolRecord {
  const r = {
    iss: 'com.acme',
    sub: 'read_file',
    ver: '1.0.0',
    dig: DIG_A,
    perms: ['files:read'],
    kid: 'kid-1',
    iat: 1_767_225_600,
    receipt: 'receipt.jws.sig',
    title: 'Read a file',
    description: 'Reads a file',
    publishedAt: NOW,
    ...over,
  };
  return { ...r, body: over.body ?? JSON.stringify({ name: r.sub, ver: r.ver, dig: r.dig }) };
}

async function statementOf(iss: string): Promise<KeyStatement> {
  const pk = await providerKey(iss);
  const { iss: _iss, ...jwk } = pk.jwks.keys[0]!;
  return { kid: pk.kid, jwk, status: 'active' };
}

function apiKeyRecord(keyId: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    keyId,
    hash: `sha256:${'h'.repeat(43)}`,
    userId: 'publisher:com.acme',
    projectId: 'com.acme',
    scopes: [],
    roles: ['registry-publisher'],
    active: true,
    createdAt: 1_767_225_600_000,
    ...over,
  };
}

/**
 * The contract every {@link RegistryStore} passes: the SQLite and the PostgreSQL store run this
 * same suite, concurrency cases included.
 */
export function registryStoreContract(name: string, options: StoreContractOptions): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let store: RegistryStore;
    beforeEach(async () => {
      store = await options.create();
      await store.createProvider(providerIdentity('com.acme'), NOW);
    });
    afterAll(async () => {
      await options.cleanup?.();
    });

    describe('migrate', () => {
      it('applies nothing the second time', async () => {
        expect(await store.migrate()).toEqual({ applied: [], version: 1 });
      });
    });

    describe('providers', () => {
      it('creates a provider and reads it back', async () => {
        const created = await store.createProvider(providerIdentity('org.example'), NOW);
        expect(created).toEqual({ ok: true, provider: { iss: 'org.example', createdAt: NOW } });
        expect(await store.getProvider('org.example')).toEqual({
          iss: 'org.example',
          createdAt: NOW,
        });
        expect(await store.getProvider('org.other')).toBeUndefined();
      });

      it('refuses the same id, and a case variant of it, as provider-exists', async () => {
        expect(await store.createProvider(providerIdentity('com.acme'), NOW)).toEqual({
          ok: false,
          error: 'provider-exists',
          existing: 'com.acme',
        });
        expect(await store.createProvider(providerIdentity('COM.Acme'), NOW)).toEqual({
          ok: false,
          error: 'provider-exists',
          existing: 'com.acme',
        });
      });

      it('refuses a confusable id as confusable-provider', async () => {
        expect(await store.createProvider(providerIdentity('com.acrne'), NOW)).toEqual({
          ok: false,
          error: 'confusable-provider',
          existing: 'com.acme',
        });
        expect((await store.findSimilarProvider(providerIdentity('com.аcme')))?.iss).toBe(
          'com.acme',
        );
        expect(await store.findSimilarProvider(providerIdentity('org.example'))).toBeUndefined();
      });

      it('lets exactly one of two confusable ids created at once in', async () => {
        const results = await Promise.all(
          ['io.example', 'io.examp1e', 'IO.EXAMPLE', 'io.exarnple'].map((iss) =>
            store.createProvider(providerIdentity(iss), NOW),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
      });
    });

    describe('keys', () => {
      it('adds keys all or nothing: a key id bound to another provider refuses the whole statement', async () => {
        await store.createProvider(providerIdentity('org.evil'), NOW);
        const acme = await statementOf('com.acme');
        const fresh = await statementOf('com.acme');
        expect((await store.addKeys('com.acme', [acme], narrowKey, NOW)).ok).toBe(true);
        const result = await store.addKeys('org.evil', [fresh, acme], narrowKey, NOW);
        expect(result).toEqual({ ok: false, kid: acme.kid, boundTo: 'com.acme' });
        expect(await store.listKeys({ iss: ['org.evil'] })).toEqual([]);
        expect(await store.getKey(fresh.kid)).toBeUndefined();
      });

      it('lists keys by provider, by key id, and all', async () => {
        await store.createProvider(providerIdentity('org.example'), NOW);
        const a = await statementOf('com.acme');
        const b = await statementOf('org.example');
        await store.addKeys('com.acme', [a], narrowKey, NOW);
        await store.addKeys('org.example', [b], narrowKey, NOW);
        expect((await store.listKeys({ iss: ['com.acme'] })).map((k) => k.kid)).toEqual([a.kid]);
        expect(
          (await store.listKeys({ iss: ['com.acme'], kid: [b.kid] })).map((k) => k.kid).sort(),
        ).toEqual([a.kid, b.kid].sort());
        expect((await store.listKeys()).length).toBe(2);
        expect(await store.listKeys({ iss: [], kid: [] })).toEqual([]);
        const key = await store.getKey(a.kid);
        expect(key).toMatchObject({ kid: a.kid, iss: 'com.acme', status: 'active', jwk: a.jwk });
      });

      it('only narrows a known key: retire, then a stale "active" statement changes nothing', async () => {
        const a = await statementOf('com.acme');
        await store.addKeys('com.acme', [a], narrowKey, NOW);
        const retired = await store.addKeys(
          'com.acme',
          [{ ...a, status: 'retired', notAfter: '2026-06-01T00:00:00Z' }],
          narrowKey,
          NOW,
        );
        expect(retired).toMatchObject({
          ok: true,
          keys: [{ outcome: 'updated', record: { status: 'retired' } }],
        });
        const again = await store.addKeys('com.acme', [a], narrowKey, NOW);
        expect(again).toMatchObject({
          ok: true,
          keys: [{ outcome: 'unchanged', record: { status: 'retired' } }],
        });
        expect(await store.getKey(a.kid)).toMatchObject({ status: 'retired' });
      });

      it('revoking a key adds a revocation entry and moves the sequence', async () => {
        const a = await statementOf('com.acme');
        await store.addKeys('com.acme', [a], narrowKey, NOW);
        expect(await store.revocationSeq()).toBe(0);
        await store.addKeys('com.acme', [{ ...a, status: 'revoked' }], narrowKey, NOW);
        expect(await store.getKey(a.kid)).toMatchObject({ status: 'revoked' });
        const { seq, entries } = await store.revocations();
        expect(seq).toBe(1);
        expect(entries).toEqual([{ kid: a.kid, revokedAt: NOW, reason: 'key revoked' }]);
      });
    });

    describe('tools', () => {
      it('stores a batch and gives each body back byte for byte', async () => {
        const body = '{"name":"read_file","z":1,"a":"\\u00e9\\ud83d\\ude00","description":"é"}';
        const result = await store.publish([
          record({ body }),
          record({ sub: 'write_file', dig: DIG_B }),
        ]);
        expect(result.ok && result.results.map((r) => r.outcome)).toEqual(['created', 'created']);
        expect((await store.getTool('com.acme', 'read_file', '1.0.0'))?.body).toBe(body);
        expect(await store.getTool('com.acme', 'read_file', '2.0.0')).toBeUndefined();
      });

      it('answers the same content and perms again as unchanged, keeping the first record', async () => {
        await store.publish([record({ receipt: 'first' })]);
        const again = await store.publish([
          record({ receipt: 'second', iat: 1_800_000_000, body: '{"x":2}' }),
        ]);
        expect(again).toMatchObject({
          ok: true,
          results: [{ outcome: 'unchanged', record: { receipt: 'first' } }],
        });
        expect((await store.getTool('com.acme', 'read_file', '1.0.0'))?.receipt).toBe('first');
      });

      it('refuses another digest or other perms for a stored version, writing nothing of the batch', async () => {
        await store.publish([record()]);
        const other = await store.publish([record({ sub: 'new_tool' }), record({ dig: DIG_B })]);
        expect(other).toMatchObject({ ok: false, index: 1, existing: { dig: DIG_A } });
        expect(await store.getTool('com.acme', 'new_tool', '1.0.0')).toBeUndefined();
        const perms = await store.publish([record({ perms: ['files:read', 'files:write'] })]);
        expect(perms).toMatchObject({ ok: false, index: 0 });
      });

      it('stores exactly one digest when 20 publishes of one version race', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.publish([record({ dig: i % 2 ? DIG_A : DIG_B })]),
          ),
        );
        const stored = (await store.getTool('com.acme', 'read_file', '1.0.0'))!;
        const created = results.filter((r) => r.ok && r.results[0]!.outcome === 'created');
        expect(created).toHaveLength(1);
        for (const r of results) {
          if (r.ok) expect(r.results[0]!.record.dig).toBe(stored.dig);
          else expect(r.existing.dig).toBe(stored.dig);
        }
      });

      it('finds definitions by digest, oldest first, across providers', async () => {
        await store.createProvider(providerIdentity('org.example'), NOW);
        await store.publish([record({ iss: 'org.example' })]);
        await store.publish([record({ ver: '1.1.0' })]);
        const found = await store.toolsByDigest(DIG_A);
        expect(found.map((t) => [t.iss, t.ver])).toEqual([
          ['org.example', '1.0.0'],
          ['com.acme', '1.1.0'],
        ]);
        expect(await store.toolsByDigest(DIG_B)).toEqual([]);
      });

      it('pages tools by (iss, name), filters by provider and by text', async () => {
        await store.createProvider(providerIdentity('org.example'), NOW);
        await store.publish([
          record({ sub: 'b_tool' }),
          record({ sub: 'a_tool', description: 'Lists 100% of files' }),
          record({ sub: 'a_tool', ver: '2.0.0', dig: DIG_B }),
          record({ iss: 'org.example', sub: 'c_tool', title: 'Search' }),
        ]);
        const first = await store.listTools({ limit: 2 });
        expect(first).toEqual([
          { iss: 'com.acme', sub: 'a_tool' },
          { iss: 'com.acme', sub: 'b_tool' },
        ]);
        expect(await store.listTools({ limit: 2, after: first[1]! })).toEqual([
          { iss: 'org.example', sub: 'c_tool' },
        ]);
        expect(await store.listTools({ limit: 10, iss: 'org.example' })).toEqual([
          { iss: 'org.example', sub: 'c_tool' },
        ]);
        expect(await store.listTools({ limit: 10, q: 'SEARCH' })).toEqual([
          { iss: 'org.example', sub: 'c_tool' },
        ]);
        // LIKE wildcards in the text are literal.
        expect(await store.listTools({ limit: 10, q: '100%' })).toEqual([
          { iss: 'com.acme', sub: 'a_tool' },
        ]);
        expect(await store.listTools({ limit: 10, q: '_' })).toHaveLength(3);
        const versions = await store.versionsOf(first);
        expect(versions.map((v) => [v.sub, v.ver])).toEqual([
          ['a_tool', '1.0.0'],
          ['a_tool', '2.0.0'],
          ['b_tool', '1.0.0'],
        ]);
        expect(versions[0]).not.toHaveProperty('body');
      });

      it('deprecates and restores a version', async () => {
        await store.publish([record()]);
        expect(await store.setToolStatus('com.acme', 'read_file', '1.0.0', 'deprecated')).toBe(
          true,
        );
        expect((await store.listVersions('com.acme', 'read_file'))[0]?.status).toBe('deprecated');
        expect(await store.setToolStatus('com.acme', 'read_file', '1.0.0', 'active')).toBe(true);
        expect(await store.setToolStatus('com.acme', 'read_file', '9.0.0', 'active')).toBe(false);
      });
    });

    describe('revocations', () => {
      it('adds an entry once; the same members again change nothing', async () => {
        const entry = {
          iss: 'com.acme',
          sub: 'read_file',
          ver: '1.0.0',
          revokedAt: NOW,
          reason: 'bad',
        };
        expect(await store.addRevocation(entry)).toEqual({ created: true, seq: 1, entry });
        const again = await store.addRevocation({
          ...entry,
          revokedAt: '2026-02-01T00:00:00.000Z',
          reason: 'x',
        });
        expect(again).toEqual({ created: false, seq: 1, entry });
        const snapshot = await store.revocations();
        expect(snapshot).toEqual({ seq: 1, entries: [entry] });
        // The snapshot is a valid revocation list.
        expect(
          new RevocationList({
            iss: 'r',
            seq: 1,
            iat: 0,
            exp: 1,
            entries: [...snapshot.entries],
          }).find({
            iss: 'com.acme',
            sub: 'read_file',
            ver: '1.0.0',
            dig: DIG_A,
            kid: 'k',
          }),
        ).toEqual(entry);
      });

      it('moves the sequence by exactly one per entry when 12 revocations race', async () => {
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            store.addRevocation({ dig: `${i}`.padStart(43, 'x'), revokedAt: NOW }),
          ),
        );
        expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 12 }, (_, i) => i + 1),
        );
        expect(await store.revocationSeq()).toBe(12);
        expect((await store.revocations()).entries).toHaveLength(12);
      });
    });

    describe('API keys', () => {
      it('stores, replaces and deletes records', async () => {
        await store.setApiKey(apiKeyRecord('key_one'));
        expect(await store.getApiKey('key_one')).toEqual(apiKeyRecord('key_one'));
        await store.setApiKey(apiKeyRecord('key_one', { active: false }));
        expect((await store.getApiKey('key_one'))?.active).toBe(false);
        expect(await store.deleteApiKey('key_one')).toBe(true);
        expect(await store.deleteApiKey('key_one')).toBe(false);
        expect(await store.getApiKey('key_one')).toBeUndefined();
      });
    });

    describe('two nodes on one database', () => {
      it('see each other’s writes and share the revocation sequence', async () => {
        const other = await options.peer(store);
        try {
          await store.publish([record()]);
          expect((await other.getTool('com.acme', 'read_file', '1.0.0'))?.dig).toBe(DIG_A);
          await other.addRevocation({ dig: DIG_A, revokedAt: NOW });
          await store.addRevocation({ dig: DIG_B, revokedAt: NOW });
          expect(await other.revocationSeq()).toBe(2);
          expect(await other.publish([record({ dig: DIG_B })])).toMatchObject({ ok: false });
        } finally {
          await other.close();
        }
      });
    });
  });
}
