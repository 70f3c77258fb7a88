import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimsOf,
  CORPUS,
  etdi,
  etdiInProcess,
  loadList,
  parseVerifyJson,
  readJson,
  tempDir,
  writeJson,
} from './support/cli.js';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ dir, remove } = await tempDir());
  await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'keys'], { cwd: dir });
});
afterAll(() => remove());

const signArgs = ['--key', 'keys/private.jwk', '--ver', '1.0.0'];
type Doc = { tools: Record<string, unknown>[]; [k: string]: unknown };

async function verifyJson(path: string) {
  const r = await etdi(['verify', path, '--jwks', 'keys/jwks.json', '--json'], { cwd: dir });
  return { code: r.code, ...parseVerifyJson(r.stdout) };
}

async function missing(path: string) {
  await expect(stat(join(dir, path))).rejects.toMatchObject({ code: 'ENOENT' });
}

describe('etdi sign', () => {
  describe('input shapes', () => {
    it('signs a tools/list result, keeping its other members, their order and the file name', async () => {
      const r = await etdi(['sign', join(CORPUS, 'memory.json'), ...signArgs, '--out', 'list'], {
        cwd: dir,
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const input = await loadList('memory');
      const out = await readJson<Doc>(join(dir, 'list', 'memory.json'));
      expect(Object.keys(out)).toEqual(Object.keys(input));
      expect(out.server).toEqual(input.server);
      expect(out.tools.map((t) => t.name)).toEqual(input.tools.map((t) => t.name));
      for (const [i, tool] of out.tools.entries()) {
        const { _meta, ...rest } = tool;
        expect(rest).toEqual(input.tools[i]);
        expect(Object.keys(_meta as object)).toEqual(['io.etdi/signature']);
        expect(claimsOf(tool)).toMatchObject({
          iss: 'com.example',
          sub: tool.name,
          ver: '1.0.0',
          perms: [],
        });
      }
      expect((await verifyJson('list')).summary).toEqual({ valid: 9, rejected: 0 });
    });

    it('signs a single tool file into a single signed tool', async () => {
      const tool = (await loadList('everything')).tools[0];
      await writeJson(join(dir, 'echo.json'), tool);
      const r = await etdi(['sign', 'echo.json', ...signArgs, '--out', 'single'], { cwd: dir });
      expect(r.code).toBe(0);
      const out = await readJson<Record<string, unknown>>(join(dir, 'single', 'echo.json'));
      expect(Array.isArray(out)).toBe(false);
      expect(out.name).toBe('echo');
      expect(claimsOf(out).sub).toBe('echo');
      expect((await verifyJson('single/echo.json')).summary).toEqual({ valid: 1, rejected: 0 });
    });

    it('signs an array of tools into an array', async () => {
      await writeJson(join(dir, 'array.json'), (await loadList('filesystem')).tools.slice(0, 3));
      const r = await etdi(['sign', 'array.json', ...signArgs, '--out', 'arr'], { cwd: dir });
      expect(r.code).toBe(0);
      const out = await readJson<unknown[]>(join(dir, 'arr', 'array.json'));
      expect(Array.isArray(out)).toBe(true);
      expect(out).toHaveLength(3);
      expect((await verifyJson('arr/array.json')).summary).toEqual({ valid: 3, rejected: 0 });
    });

    it('signs every *.json of a directory, and nothing else in it', async () => {
      await mkdir(join(dir, 'corpus'));
      for (const f of await readdir(CORPUS))
        await copyFile(join(CORPUS, f), join(dir, 'corpus', f));
      await writeFile(join(dir, 'corpus', 'notes.txt'), 'not a tool');
      await mkdir(join(dir, 'corpus', 'nested.json'));
      const r = await etdi(['sign', 'corpus', ...signArgs, '--out', 'dirout'], { cwd: dir });
      expect(r.code).toBe(0);
      expect((await readdir(join(dir, 'dirout'))).sort()).toEqual([
        'everything.json',
        'filesystem.json',
        'memory.json',
        'sequential-thinking.json',
      ]);
      expect(r.stdout).toMatch(/Signed 37 tools in 4 files as com\.example 1\.0\.0/);
      expect((await verifyJson('dirout')).summary).toEqual({ valid: 37, rejected: 0 });
    });
  });

  describe('--in-place', () => {
    it('replaces each input with its signed version', async () => {
      await mkdir(join(dir, 'inplace'));
      await copyFile(join(CORPUS, 'sequential-thinking.json'), join(dir, 'inplace', 'st.json'));
      const r = await etdi(['sign', 'inplace/st.json', ...signArgs, '--in-place'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(await readdir(join(dir, 'inplace'))).toEqual(['st.json']);
      expect((await verifyJson('inplace')).summary).toEqual({ valid: 1, rejected: 0 });
    });

    it('replaces the signature when re-signing a signed file', async () => {
      await mkdir(join(dir, 'resign'));
      await copyFile(join(CORPUS, 'memory.json'), join(dir, 'resign', 'memory.json'));
      const file = join(dir, 'resign', 'memory.json');
      await etdi(['sign', 'resign', ...signArgs, '--in-place'], { cwd: dir });
      const first = await readJson<Doc>(file);
      const r = await etdi(
        ['sign', 'resign', '--key', 'keys/private.jwk', '--ver', '1.1.0', '--in-place'],
        { cwd: dir },
      );
      expect(r.code).toBe(0);
      const second = await readJson<Doc>(file);
      for (const [i, tool] of second.tools.entries()) {
        expect(Object.keys(tool._meta as object)).toEqual(['io.etdi/signature']);
        expect(claimsOf(tool).ver).toBe('1.1.0');
        const { _meta: _a, ...now } = tool;
        const { _meta: _b, ...before } = first.tools[i] as Record<string, unknown>;
        expect(now).toEqual(before);
      }
      const v = await verifyJson('resign');
      expect(v.summary).toEqual({ valid: 9, rejected: 0 });
      expect(new Set(v.results.map((x) => x.ver))).toEqual(new Set(['1.1.0']));
    });
  });

  it('puts --perms (sorted) and --expires into the claims', async () => {
    const r = await etdi(
      ['sign', join(CORPUS, 'memory.json'), ...signArgs, '--out', 'claims'].concat([
        '--perms',
        'memory:write,memory:read',
        '--expires',
        '90d',
      ]),
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const out = await readJson<Doc>(join(dir, 'claims', 'memory.json'));
    const claims = claimsOf(out.tools[0]);
    expect(claims.perms).toEqual(['memory:read', 'memory:write']);
    expect((claims.exp as number) - (claims.iat as number)).toBe(90 * 86_400);
  });

  it('uses --iss when it names the provider the key is bound to', async () => {
    const r = await etdi(
      ['sign', join(CORPUS, 'memory.json'), ...signArgs, '--iss', 'com.example', '--out', 'iss'],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
  });

  it('prints the documented shape with --format json', async () => {
    const r = await etdi(
      ['sign', join(CORPUS, 'memory.json'), ...signArgs, '--out', 'fmt', '--format', 'json'],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({
      files: [{ file: join(CORPUS, 'memory.json'), out: 'fmt/memory.json', tools: 9 }],
      iss: 'com.example',
      ver: '1.0.0',
      kid: expect.any(String),
      summary: { files: 1, tools: 9 },
    });
  });

  describe('refusals (exit 2, nothing written)', () => {
    it('refuses a key bound to another provider', async () => {
      const r = await etdi(
        ['sign', join(CORPUS, 'memory.json'), ...signArgs, '--iss', 'com.other', '--out', 'no1'],
        { cwd: dir },
      );
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/bound to provider "com\.example"; it cannot sign for "com\.other"/);
      await missing('no1');
    });

    it.each(['v1.0.0', '1.0', '01.0.0', 'latest'])('refuses --ver %s', async (ver) => {
      const r = await etdi(
        ['sign', join(CORPUS, 'memory.json'), '--key', 'keys/private.jwk', '--ver', ver].concat([
          '--out',
          'no2',
        ]),
        { cwd: dir },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is not a semantic version/);
      await missing('no2');
    });

    it('refuses an invalid tool, naming file and JSON pointer, writing none of the files', async () => {
      const list = await loadList('memory');
      delete list.tools[1]?.inputSchema;
      await mkdir(join(dir, 'broken'));
      await copyFile(join(CORPUS, 'everything.json'), join(dir, 'broken', 'a.json'));
      await writeJson(join(dir, 'broken', 'b.json'), list);
      const r = await etdi(['sign', 'broken', ...signArgs, '--out', 'no3'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('broken/b.json');
      expect(r.stderr).toContain('schema-invalid at /tools/1/inputSchema');
      await missing('no3');
    });

    const key = ['--key', 'keys/private.jwk'];
    const ver = ['--ver', '1.0.0'];
    it.each([
      ['neither --out nor --in-place', [...key, ...ver], /exactly one of --out DIR and --in-place/],
      ['both --out and --in-place', [...key, ...ver, '--out', 'no4', '--in-place'], /cannot be/],
      ['no --key', [...ver, '--out', 'no4'], /required option '--key <file>'/],
      [
        'no --ver and no etdi.json',
        [...key, '--out', 'no4'],
        /No version for tool "\w+"[\s\S]*--ver/,
      ],
      ['a missing key file', ['--key', 'nope.jwk', ...ver, '--out', 'no4'], /nope\.jwk/],
      ['a JWKS as the key', ['--key', 'keys/jwks.json', ...ver, '--out', 'no4'], /JWKS/],
      ['a bad --expires', [...key, ...ver, '--expires', 'soon', '--out', 'no4'], /--expires/],
      ['a bad --perms', [...key, ...ver, '--perms', 'a"b', '--out', 'no4'], /--perms/],
    ])('refuses %s', async (_what, args, message) => {
      const r = await etdi(['sign', join(CORPUS, 'memory.json'), ...args], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      await missing('no4');
    });

    it('refuses one name with two different definitions in one run, and allows exact copies', async () => {
      const list = await loadList('memory');
      const twin = { ...list.tools[0]!, description: 'same name, other behaviour' };
      await writeJson(join(dir, 'twins.json'), { tools: [list.tools[0], twin] });
      const r = await etdi(['sign', 'twins.json', ...signArgs, '--out', 'no7'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /appears in twins\.json\/tools\/0 and in twins\.json\/tools\/1 with different content/,
      );
      await missing('no7');
      await mkdir(join(dir, 'copies'));
      await copyFile(join(CORPUS, 'memory.json'), join(dir, 'copies', 'a.json'));
      await copyFile(join(CORPUS, 'memory.json'), join(dir, 'copies', 'b.json'));
      const ok = await etdi(['sign', 'copies', ...signArgs, '--out', 'copies-signed'], {
        cwd: dir,
      });
      expect(ok.code).toBe(0);
    });

    it('refuses a lifetime too long to be a date as a usage error, not as a bad tool', async () => {
      const r = await etdi(
        [
          'sign',
          join(CORPUS, 'memory.json'),
          ...signArgs,
          '--expires',
          '99999999999999999999d',
          '--out',
          'no8',
        ],
        { cwd: dir },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--expires/);
      expect(r.stderr).not.toMatch(/Fix the definition/);
      await missing('no8');
    });

    it('refuses an RSA-PSS-restricted key cleanly (no internal error)', async () => {
      const { generateKeyPairSync } = await import('node:crypto');
      const pem = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      await writeFile(join(dir, 'pss.pem'), pem);
      const r = await etdi(
        [
          'sign',
          join(CORPUS, 'memory.json'),
          '--key',
          'pss.pem',
          '--iss',
          'com.example',
          '--ver',
          '1.0.0',
          '--out',
          'no9',
        ],
        { cwd: dir },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: Cannot sign with pss\.pem: .*RSA-PSS/m);
      expect(r.stderr).not.toMatch(/internal error/);
      await missing('no9');
    });

    it('refuses a missing input and input that is not JSON', async () => {
      await writeFile(join(dir, 'bad.json'), '{"name": "x",');
      for (const input of ['nope.json', 'bad.json']) {
        const r = await etdi(['sign', input, ...signArgs, '--out', 'no5'], { cwd: dir });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(input);
      }
      await missing('no5');
    });

    it('refuses two inputs that would land on the same output file', async () => {
      await mkdir(join(dir, 'x'));
      await mkdir(join(dir, 'y'));
      await copyFile(join(CORPUS, 'memory.json'), join(dir, 'x', 'tools.json'));
      await copyFile(join(CORPUS, 'memory.json'), join(dir, 'y', 'tools.json'));
      const r = await etdi(['sign', 'x', 'y', ...signArgs, '--out', 'no6'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/would both be written to no6\/tools\.json/);
      await missing('no6');
    });

    it('never prints the private key, even when the key file is broken', async () => {
      const jwk = await readJson<Record<string, string>>(join(dir, 'keys', 'private.jwk'));
      const broken = JSON.stringify(jwk).replace('"d"', 'd');
      await writeFile(join(dir, 'broken.jwk'), broken);
      const wrongKid = JSON.stringify({ ...jwk, kid: 'not-the-thumbprint' });
      await writeFile(join(dir, 'wrongkid.jwk'), wrongKid);
      for (const key of ['broken.jwk', 'wrongkid.jwk']) {
        const r = await etdi(
          ['sign', join(CORPUS, 'memory.json'), '--key', key, '--ver', '1.0.0', '--out', 'no7'],
          { cwd: dir },
        );
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(key);
        expect(r.stderr + r.stdout).not.toContain(jwk.d);
        expect(r.stderr + r.stdout).not.toContain(jwk.d?.slice(0, 8));
      }
      await missing('no7');
    });
  });

  it('signs a tool whose _meta is empty so that it verifies', async () => {
    const list = await loadList('memory');
    await writeJson(join(dir, 'empty-meta.json'), { tools: [{ ...list.tools[0], _meta: {} }] });
    expect(
      (await etdi(['sign', 'empty-meta.json', ...signArgs, '--out', 'em'], { cwd: dir })).code,
    ).toBe(0);
    const r = await verifyJson('em/empty-meta.json');
    expect(r.code).toBe(0);
    expect(r.summary).toEqual({ valid: 1, rejected: 0 });
  });

  it('keeps the mode of a file signed in place', async () => {
    if (process.platform === 'win32') return;
    const { chmod } = await import('node:fs/promises');
    await copyFile(join(CORPUS, 'memory.json'), join(dir, 'mode.json'));
    await chmod(join(dir, 'mode.json'), 0o640);
    const r = await etdi(['sign', 'mode.json', ...signArgs, '--in-place'], { cwd: dir });
    expect(r.code).toBe(0);
    expect((await stat(join(dir, 'mode.json'))).mode & 0o777).toBe(0o640);
    expect(await readFile(join(dir, 'mode.json'), 'utf8')).toContain('io.etdi/signature');
  });
});
