import { join } from 'node:path';
import type { TrustJwks } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectJsonTool } from '../src/commands/inspect.js';
import { CORPUS, etdi, etdiInProcess, readJson, tempDir, writeJson } from './support/cli.js';

type Doc = { tools: Record<string, unknown>[] };

let dir: string;
let remove: () => Promise<void>;
let kid: string;
beforeAll(async () => {
  ({ dir, remove } = await tempDir());
  const cwd = dir;
  await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'keys'], { cwd });
  kid = (await readJson<TrustJwks>(join(dir, 'keys', 'jwks.json'))).keys[0]!.kid;
  await etdiInProcess(
    [
      'sign',
      join(CORPUS, 'sequential-thinking.json'),
      '--key',
      'keys/private.jwk',
      '--ver',
      '1.2.3',
      '--perms',
      'think',
      '--expires',
      '90d',
      '--out',
      'signed',
    ],
    { cwd },
  );
});
afterAll(() => remove());

const inspectJson = async (args: readonly string[]) => {
  const r = await etdi(['inspect', ...args, '--json'], { cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { tools: InspectJsonTool[] }).tools;
};

describe('etdi inspect', () => {
  it('decodes header and claims, recomputes the digest and finds the key in the JWKS', async () => {
    const [t] = await inspectJson(['signed/sequential-thinking.json', '--jwks', 'keys/jwks.json']);
    expect(t).toMatchObject({
      file: 'signed/sequential-thinking.json',
      pointer: '/tools/0',
      name: 'sequentialthinking',
      signed: true,
      header: { alg: 'EdDSA', kid, typ: 'etdi-tool+jwt' },
      claims: { iss: 'com.example', sub: 'sequentialthinking', ver: '1.2.3', perms: ['think'] },
      key: { kid, jwks: 'keys/jwks.json', iss: 'com.example', status: 'active' },
      problems: [],
    });
    expect(t!.digest.matches).toBe(true);
    expect(t!.digest.computed).toBe(t!.claims!.dig);
    expect(t!.dates.exp!.epoch - t!.dates.iat!.epoch).toBe(90 * 86_400);
    expect(t!.dates.exp!.relative).toMatch(/^in (89|90) days$/);
    expect(t!.dates.iat!.iso).toBe(new Date(t!.dates.iat!.epoch * 1000).toISOString());
  });

  it("shows a tampered tool's digest as not matching, and a key no JWKS holds", async () => {
    const list = await readJson<Doc>(join(dir, 'signed', 'sequential-thinking.json'));
    list.tools[0]!.description = 'changed';
    await writeJson(join(dir, 'tampered.json'), list);
    const [t] = await inspectJson(['tampered.json']);
    expect(t!.digest.matches).toBe(false);
    expect(t!.digest.computed).not.toBe(t!.digest.signed);
    expect(t!.key).toEqual({ kid, jwks: null, iss: null, status: null });
    const text = await etdi(['inspect', 'tampered.json'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/digest +\S+ \(DOES NOT match the signed dig \S+\)/);
    expect(text.stdout).toMatch(/key +\S+ \(in none of the given JWKS\)/);
    expect(text.stdout).toMatch(/expires +\d{4}-\d\d-\d\dT\S+ \(in (89|90) days\)/);
  });

  it('reports an unsigned tool and a malformed signature without failing', async () => {
    const list = await readJson<Doc>(join(CORPUS, 'memory.json'));
    list.tools[1]!._meta = { 'io.etdi/signature': 'not.a.jws!' };
    await writeJson(join(dir, 'mixed.json'), list);
    const tools = await inspectJson(['mixed.json']);
    expect(tools[0]).toMatchObject({
      signed: false,
      header: null,
      claims: null,
      key: null,
      problems: [],
    });
    expect(tools[0]!.digest).toMatchObject({ signed: null, matches: null });
    expect(tools[1]).toMatchObject({ signed: true, header: null });
    expect(tools[1]!.problems[0]).toMatch(/^malformed: /);
  });

  it('exits 2 on a file that is not JSON', async () => {
    const r = await etdi(['inspect', 'nope.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot read nope\.json/);
  });
});
