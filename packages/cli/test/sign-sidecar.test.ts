import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimsOf,
  CORPUS,
  etdi,
  etdiInProcess,
  readJson,
  tempDir,
  writeJson,
} from './support/cli.js';

type Doc = { tools: Record<string, unknown>[] };

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ dir, remove } = await tempDir());
  await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'keys'], { cwd: dir });
  // memory.json: create_entities, create_relations, add_observations, delete_entities, ...
  await writeJson(join(dir, 'etdi.json'), {
    tools: {
      create_entities: { ver: '2.1.0', perms: ['graph:write', 'graph:read'], expires: '30d' },
      read_graph: { ver: '1.4.0', perms: ['graph:read'] },
    },
  });
});
afterAll(() => remove());

const key = ['--key', 'keys/private.jwk'];
const claimsByName = async (file: string) =>
  new Map((await readJson<Doc>(join(dir, file))).tools.map((t) => [t.name as string, claimsOf(t)]));

describe('etdi sign with an etdi.json sidecar', () => {
  it("takes each tool's ver, perms and expires from ./etdi.json; flags fill in the rest", async () => {
    const r = await etdi(
      ['sign', join(CORPUS, 'memory.json'), ...key, '--ver', '1.0.0', '--out', 'a', '--json'],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // --ver overrides the sidecar's versions: every tool is 1.0.0, so the summary has one ver.
    expect(JSON.parse(r.stdout)).toMatchObject({ ver: '1.0.0', summary: { tools: 9 } });
    const claims = await claimsByName('a/memory.json');
    const create = claims.get('create_entities')!;
    expect(create).toMatchObject({ ver: '1.0.0', perms: ['graph:read', 'graph:write'] });
    expect((create.exp as number) - (create.iat as number)).toBe(30 * 86_400);
    expect(claims.get('read_graph')).toMatchObject({ ver: '1.0.0', perms: ['graph:read'] });
    expect(claims.get('read_graph')!.exp).toBeUndefined();
    expect(claims.get('add_observations')).toMatchObject({ ver: '1.0.0', perms: [] });
  });

  it('signs each listed tool at its own version without --ver; --perms overrides the sidecar', async () => {
    await writeJson(join(dir, 'two.json'), {
      tools: (await readJson<Doc>(join(CORPUS, 'memory.json'))).tools.filter((t) =>
        ['create_entities', 'read_graph'].includes(t.name as string),
      ),
    });
    const r = await etdi(['sign', 'two.json', ...key, '--perms', 'admin', '--out', 'b', '--json'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ver: null, summary: { tools: 2 } });
    const claims = await claimsByName('b/two.json');
    expect(claims.get('create_entities')).toMatchObject({ ver: '2.1.0', perms: ['admin'] });
    expect(claims.get('read_graph')).toMatchObject({ ver: '1.4.0', perms: ['admin'] });
    const text = await etdi(['sign', 'two.json', ...key, '--out', 'b2'], { cwd: dir });
    expect(text.stdout).toMatch(/as com\.example \(versions from etdi\.json\)/);
  });

  it('refuses a tool the sidecar gives no version when --ver is missing, writing nothing', async () => {
    const r = await etdi(['sign', join(CORPUS, 'memory.json'), ...key, '--out', 'c'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /No version for tool "create_relations"[\s\S]*give it a "ver" in etdi\.json/,
    );
    await expect(stat(join(dir, 'c'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('warns about a sidecar entry that names no input tool', async () => {
    const r = await etdi(
      ['sign', join(CORPUS, 'sequential-thinking.json'), ...key, '--ver', '1.0.0', '--out', 'd'],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /warning: etdi\.json names tool "create_entities", which no input holds/,
    );
  });

  it('reads another file with --sidecar and none with --no-sidecar', async () => {
    await writeJson(join(dir, 'other.json'), { tools: { sequentialthinking: { ver: '3.0.0' } } });
    const input = join(CORPUS, 'sequential-thinking.json');
    expect(
      (await etdi(['sign', input, ...key, '--sidecar', 'other.json', '--out', 'e'], { cwd: dir }))
        .code,
    ).toBe(0);
    expect((await claimsByName('e/sequential-thinking.json')).get('sequentialthinking')!.ver).toBe(
      '3.0.0',
    );
    const none = await etdi(['sign', input, ...key, '--no-sidecar', '--out', 'f'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No version/);
  });

  it.each([
    [
      'an unknown member',
      { tools: { x: { version: '1.0.0' } } },
      /\/tools\/x\/version: unknown key "version"/,
    ],
    [
      'a bad version',
      { tools: { x: { ver: 'v1' } } },
      /\/tools\/x\/ver: "v1" is not a semantic version/,
    ],
    ['a bad scope', { tools: { x: { perms: ['a b'] } } }, /\/tools\/x\/perms: /],
    ['a bad lifetime', { tools: { 'a/b': { expires: 'soon' } } }, /\/tools\/a~1b\/expires: /],
    ['no tools map', { x: {} }, /\/tools: missing required key "tools"/],
  ])('refuses a sidecar with %s, naming the JSON pointer (exit 2)', async (_what, doc, message) => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify(doc));
    const r = await etdi(
      [
        'sign',
        join(CORPUS, 'memory.json'),
        ...key,
        '--ver',
        '1.0.0',
        '--sidecar',
        'bad.json',
        '--out',
        'g',
      ],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
