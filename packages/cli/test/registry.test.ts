import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrustJwks } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CORPUS,
  etdi,
  etdiInProcess,
  parseVerifyJson,
  readJson,
  tempDir,
  writeJson,
} from './support/cli.js';
import { startRegistry, type RegistryUnderTest } from './support/registry.js';

type Doc = { tools: Record<string, unknown>[] };

let dir: string;
let remove: () => Promise<void>;
let registry: RegistryUnderTest;
let publisherKey: string;
let kid: string;

beforeAll(async () => {
  ({ dir, remove } = await tempDir());
  registry = await startRegistry(dir);
  const cwd = dir;
  await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'keys'], { cwd });
  await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'unregistered'], { cwd });
  kid = (await readJson<TrustJwks>(join(dir, 'keys', 'jwks.json'))).keys[0]!.kid;
  await etdiInProcess(
    [
      'sign',
      join(CORPUS, 'memory.json'),
      '--key',
      'keys/private.jwk',
      '--ver',
      '1.0.0',
      '--out',
      'v1',
    ],
    {
      cwd,
    },
  );
}, 120_000);
afterAll(async () => {
  await registry.stop();
  await remove();
});

const at = () => ['--registry', registry.url];
const admin = () => [...at(), '--api-key', registry.adminKey];
const publisher = () => [...at(), '--api-key', publisherKey];
const run = (args: readonly string[], env?: Record<string, string>) =>
  etdi(args, { cwd: dir, ...(env ? { env } : {}) });

describe('etdi against a real registry process', () => {
  describe('provider create (admin)', () => {
    it('creates a namespace (exit 0), and refuses it again, however cased (exit 1, provider-exists)', async () => {
      const r = await run(['provider', 'create', 'com.example', ...admin()]);
      expect(r).toMatchObject({ code: 0, stdout: 'created provider com.example\n' });
      const again = await run(['provider', 'create', 'COM.Example', ...admin(), '--json']);
      expect(again.code).toBe(1);
      expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, code: 'provider-exists' });
    });

    it('needs an API key (exit 2) and never prints a refused one', async () => {
      const none = await run(['provider', 'create', 'com.nokey', ...at()]);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/needs an API key/);
      const bogus = 'etdi_bogus.not-a-real-secret-value';
      const wrong = await run(['provider', 'create', 'com.nokey', ...at(), '--api-key', bogus]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/^error: The registry refused .*HTTP 401/m);
      expect(wrong.stdout + wrong.stderr).not.toContain('not-a-real-secret');
    });
  });

  describe('api-key create (admin)', () => {
    it('prints a publisher key alone on stdout, once', async () => {
      const r = await run([
        'api-key',
        'create',
        'com.example',
        '--name',
        'ci',
        '--expires',
        '1d',
        ...admin(),
      ]);
      expect(r.code).toBe(0);
      publisherKey = r.stdout.trim();
      expect(r.stdout).toBe(`${publisherKey}\n`);
      expect(publisherKey.length).toBeGreaterThan(20);
      expect(r.stderr).toMatch(/shown once/);
      expect(r.stderr).not.toContain(publisherKey);
    });
  });

  describe('keys push (publisher)', () => {
    it('adds the provider key from jwks.json, through ETDI_REGISTRY_URL and ETDI_API_KEY', async () => {
      const r = await run(['keys', 'push', 'keys/jwks.json'], {
        ETDI_REGISTRY_URL: registry.url,
        ETDI_API_KEY: publisherKey,
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`added     ${kid} (com.example)\n`);
    });

    it('refuses to send a private key (exit 2)', async () => {
      const r = await run(['keys', 'push', 'keys/private.jwk', ...publisher()]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not a trust JWKS/);
    });
  });

  describe('publish (publisher)', () => {
    it('stores a signed list (exit 0, created), then again as unchanged', async () => {
      const first = await run(['publish', 'v1', ...publisher(), '--json']);
      expect(first.code).toBe(0);
      const out = JSON.parse(first.stdout) as {
        ok: boolean;
        status: number;
        tools: { name: string; outcome: string }[];
      };
      expect(out).toMatchObject({ ok: true, status: 201 });
      expect(out.tools.map((t) => t.outcome)).toEqual(Array(9).fill('created'));
      const again = await run(['publish', 'v1', ...publisher()]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(
        /Published 9 tools to http:\/\/127\.0\.0\.1:\d+: 0 new, 9 already there\n$/,
      );
    });

    it('is refused as rug-pull (exit 1) for other content under a published version', async () => {
      const list = await readJson<Doc>(join(CORPUS, 'memory.json'));
      list.tools[0]!.description = 'Create entities, and mail them out.';
      await writeJson(join(dir, 'changed.json'), list);
      await etdiInProcess(
        ['sign', 'changed.json', '--key', 'keys/private.jwk', '--ver', '1.0.0', '--in-place'],
        { cwd: dir },
      );
      const r = await run(['publish', 'changed.json', ...publisher(), '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, status: 409, reason: 'rug-pull' });
      const text = await run(['publish', 'changed.json', ...publisher()]);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/^rug-pull: nothing published: /);
    });

    it("is refused with the registry's reason code (exit 1) for a key it does not know", async () => {
      await etdiInProcess(
        [
          'sign',
          join(CORPUS, 'sequential-thinking.json'),
          '--key',
          'unregistered/private.jwk',
          '--ver',
          '1.0.0',
          '--out',
          'unreg',
        ],
        {
          cwd: dir,
        },
      );
      const r = await run(['publish', 'unreg', ...publisher(), '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, status: 422, reason: 'unknown-key' });
    });
  });

  describe('fetch', () => {
    it('downloads a published version byte for byte, which verifies against the registry', async () => {
      const r = await run([
        'fetch',
        'com.example/read_graph@1.0.0',
        '--out',
        'fetched.json',
        ...at(),
      ]);
      expect(r).toMatchObject({
        code: 0,
        stdout: 'fetched com.example/read_graph@1.0.0 -> fetched.json\n',
      });
      const published = (await readJson<Doc>(join(dir, 'v1', 'memory.json'))).tools.find(
        (t) => t.name === 'read_graph',
      );
      expect(await readFile(join(dir, 'fetched.json'), 'utf8')).toBe(JSON.stringify(published));
      const latest = await run(['fetch', 'com.example/read_graph', ...at()]);
      expect(latest.stdout).toBe(`${JSON.stringify(published)}\n`);
      const json = await run(['fetch', 'com.example/read_graph@1.0.0', ...at(), '--json']);
      expect((JSON.parse(json.stdout) as { receipt: string }).receipt.split('.')).toHaveLength(3);
      const verified = await run(['verify', 'fetched.json', ...at(), '--json']);
      expect(verified.code).toBe(0);
    });

    it('exits 2 for a tool the registry does not have', async () => {
      const r = await run(['fetch', 'com.example/nope@1.0.0', ...at()]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/has no com\.example\/nope@1\.0\.0: HTTP 404/);
    });
  });

  describe('verify --registry, and attested copies from it', () => {
    it("attests the unsigned server list from the registry's copies (GET /v1/digests)", async () => {
      const r = await run([
        'verify',
        join(CORPUS, 'memory.json'),
        ...at(),
        '--provider',
        'com.example',
        '--json',
      ]);
      expect(r.code).toBe(0);
      expect(parseVerifyJson(r.stdout).summary).toEqual({ valid: 9, rejected: 0 });
    });

    it('rejects changed content as digest-mismatch when the provider published that name', async () => {
      const list = await readJson<Doc>(join(CORPUS, 'memory.json'));
      list.tools[6]!.description = 'Read the graph and post it somewhere.';
      await writeJson(join(dir, 'served.json'), list);
      const r = await run([
        'verify',
        'served.json',
        ...at(),
        '--provider',
        'com.example',
        '--json',
      ]);
      expect(r.code).toBe(1);
      expect(parseVerifyJson(r.stdout).results[6]).toMatchObject({
        name: 'read_graph',
        reason: 'digest-mismatch',
        iss: 'com.example',
      });
    });
  });

  describe('revoke and key status', () => {
    it('revokes one version: verify --registry then rejects it as revoked', async () => {
      const r = await run([
        'revoke',
        '--tool',
        'com.example/read_graph@1.0.0',
        '--reason',
        'leaks the graph',
        ...publisher(),
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /^revoked \{"iss":"com\.example","sub":"read_graph","ver":"1\.0\.0"\} \(revocation list seq \d+\)\n$/,
      );
      const out = parseVerifyJson((await run(['verify', 'v1', ...at(), '--json'])).stdout);
      expect(out.results.filter((x) => !x.ok)).toEqual([
        expect.objectContaining({ name: 'read_graph', reason: 'revoked' }),
      ]);
    });

    it('revokes a content digest (JSON output)', async () => {
      const dig = (await run(['inspect', 'v1/memory.json', '--json'])).stdout;
      const target = (
        JSON.parse(dig) as { tools: { name: string; digest: { computed: string } }[] }
      ).tools.find((t) => t.name === 'open_nodes')!;
      const r = await run([
        'revoke',
        '--digest',
        target.digest.computed,
        '--reason',
        'bad',
        ...publisher(),
        '--json',
      ]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        ok: true,
        created: true,
        entry: { dig: target.digest.computed },
      });
    });

    it('needs exactly one subject (exit 2)', async () => {
      const r = await run([
        'revoke',
        '--kid',
        kid,
        '--digest',
        'x',
        '--reason',
        'r',
        ...publisher(),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/exactly one of --kid, --tool and --digest/);
    });

    it('retires, then revokes the key: every tool it signed is then key-revoked', async () => {
      const retired = await run(['keys', 'retire', kid, ...publisher()]);
      expect(retired).toMatchObject({ code: 0, stdout: `updated   ${kid} (com.example)\n` });
      const jwks = (await (
        await fetch(`${registry.url}/.well-known/jwks.json`)
      ).json()) as TrustJwks;
      expect(jwks.keys.find((k) => k.kid === kid)).toMatchObject({ status: 'retired' });
      const revoked = await run(['keys', 'revoke', kid, ...publisher()]);
      expect(revoked.code).toBe(0);
      const out = parseVerifyJson((await run(['verify', 'v1', ...at(), '--json'])).stdout);
      expect(new Set(out.results.map((x) => x.reason))).toEqual(new Set(['key-revoked']));
    });
  });
});
