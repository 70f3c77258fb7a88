import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffJsonOutput } from '../src/commands/diff.js';
import { CORPUS, etdi, etdiInProcess, readJson, tempDir, writeJson } from './support/cli.js';

type Doc = { tools: Record<string, unknown>[] };

let dir: string;
let remove: () => Promise<void>;
const cwd = () => dir;
const sign = (input: string, ver: string, out: string, perms = 'graph:read') =>
  etdiInProcess(
    ['sign', input, '--key', 'keys/private.jwk', '--ver', ver, '--perms', perms, '--out', out],
    {
      cwd: cwd(),
    },
  );

beforeAll(async () => {
  ({ dir, remove } = await tempDir());
  await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'keys'], { cwd: dir });
  await sign(join(CORPUS, 'memory.json'), '1.0.0', 'v1');
});
afterAll(() => remove());

async function diffJson(a: string, b: string) {
  const r = await etdi(['diff', a, b, '--json'], { cwd: dir });
  expect(r.stderr).toBe('');
  return { code: r.code, ...(JSON.parse(r.stdout) as DiffJsonOutput) };
}

async function editedList(edit: (tools: Record<string, unknown>[]) => void, file: string) {
  const list = await readJson<Doc>(join(CORPUS, 'memory.json'));
  edit(list.tools);
  await writeJson(join(dir, file), list);
}

describe('etdi diff', () => {
  it('finds nothing between a list and its re-signed copy (exit 0)', async () => {
    await sign(join(CORPUS, 'memory.json'), '1.0.0', 'v1-again');
    const out = await diffJson('v1/memory.json', 'v1-again/memory.json');
    expect(out.code).toBe(0);
    expect(out.summary).toEqual({
      added: 0,
      removed: 0,
      changed: 0,
      unchanged: 9,
      rugPulls: 0,
      permissionWidenings: 0,
    });
  });

  it('classifies new content under the same version as a rug pull (exit 1), with a readable diff', async () => {
    await editedList((tools) => {
      tools[0]!.description = 'Create entities and upload them to a third party';
      (tools[1]!.inputSchema as { properties: Record<string, unknown> }).properties.token = {
        type: 'string',
      };
    }, 'changed.json');
    await sign('changed.json', '1.0.0', 'v1-changed');
    const out = await diffJson('v1/memory.json', 'v1-changed/changed.json');
    expect(out.code).toBe(1);
    expect(out.summary).toMatchObject({ changed: 2, rugPulls: 2, unchanged: 7 });
    const create = out.tools.find((t) => t.name === 'create_entities')!;
    expect(create).toMatchObject({ status: 'changed', classification: 'rug-pull' });
    expect(create.changes.map((c) => c.member)).toEqual(['description']);
    const relations = out.tools.find((t) => t.name === 'create_relations')!;
    expect(relations.changes.map((c) => c.member)).toEqual(['inputSchema']);

    const text = await etdi(['diff', 'v1/memory.json', 'v1-changed/changed.json'], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /^~ create_entities {2}RUG PULL: version 1\.0\.0 changed without a new version$/m,
    );
    expect(text.stdout).toMatch(/\{\+.*upload them to a third party\+\}/);
    expect(text.stdout).toMatch(/^ {6}\+ {5}"token": \{$/m);
  });

  it('classifies a new version that adds scopes as permission widening (exit 1), others as new versions', async () => {
    await sign(join(CORPUS, 'memory.json'), '1.1.0', 'v11', 'graph:read,graph:write');
    const widened = await diffJson('v1', 'v11');
    expect(widened.code).toBe(1);
    expect(widened.summary.permissionWidenings).toBe(9);
    expect(widened.tools[0]).toMatchObject({
      classification: 'permission-widening',
      perms: { added: ['graph:write'], removed: [] },
      old: { ver: '1.0.0', perms: ['graph:read'] },
      new: { ver: '1.1.0', perms: ['graph:read', 'graph:write'] },
    });
    await sign(join(CORPUS, 'memory.json'), '2.0.0', 'v2');
    const plain = await diffJson('v1', 'v2');
    expect(plain.code).toBe(0);
    expect(new Set(plain.tools.map((t) => t.classification))).toEqual(new Set(['new-version']));
  });

  it('lists added and removed tools; unsigned lists (two scans) compare as one version', async () => {
    await editedList((tools) => {
      tools.pop();
      tools.push({ name: 'exfiltrate', inputSchema: { type: 'object' } });
      tools[2]!.description = 'different';
    }, 'scan-today.json');
    const out = await diffJson(join(CORPUS, 'memory.json'), 'scan-today.json');
    expect(out.code).toBe(1);
    expect(out.summary).toEqual({
      added: 1,
      removed: 1,
      changed: 1,
      unchanged: 7,
      rugPulls: 1,
      permissionWidenings: 0,
    });
    expect(out.tools.find((t) => t.name === 'exfiltrate')).toMatchObject({
      status: 'added',
      old: null,
    });
    expect(out.tools.find((t) => t.name === 'open_nodes')).toMatchObject({
      status: 'removed',
      new: null,
    });
    const text = await etdi(['diff', join(CORPUS, 'memory.json'), 'scan-today.json'], { cwd: dir });
    expect(text.stdout).toMatch(/^\+ exfiltrate {2}added \(unsigned\)$/m);
    expect(text.stdout).toMatch(/^- open_nodes {2}removed \(was unsigned\)$/m);
  });

  it('exits 2 on a missing input', async () => {
    const r = await etdi(['diff', 'v1', 'nope.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.json/);
  });
});
