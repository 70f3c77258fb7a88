import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etdi, CORE_FIXTURES, tempDir } from './support/cli.js';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await tempDir()));
afterAll(() => remove());

describe('etdi canonicalize', () => {
  describe.each(['values', 'unicode', 'weird'])('on the RFC 8785 vector %s', (vector) => {
    it('prints the canonical bytes exactly, with no trailing newline', async () => {
      const r = await etdi(
        ['canonicalize', join(CORE_FIXTURES, 'jcs', 'input', `${vector}.json`)],
        {
          cwd: dir,
        },
      );
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const expected = await readFile(
        join(CORE_FIXTURES, 'jcs', 'output', `${vector}.json`),
        'utf8',
      );
      expect(r.stdout).toBe(expected);
    });
  });

  describe('on input RFC 8785 cannot represent (exit 2, pointer named, nothing on stdout)', () => {
    it.each([
      ['a lone surrogate', '{"tools": [{"name": "\\ud800"}]}', '"/tools/0/name"'],
      ['a number beyond double range', '{"a": {"b": [1, 1e400]}}', '"/a/b/1"'],
      ['a repeated member name', '{"a": {"b": 1, "\\u0062": 2}}', '"/a/b"'],
      ['nesting past 64 levels', `${'['.repeat(70)}${']'.repeat(70)}`, '"/0/0/0'],
    ])('%s', async (_what, text, pointer) => {
      await writeFile(join(dir, 'bad.json'), text);
      const r = await etdi(['canonicalize', 'bad.json'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: bad\.json/);
      expect(r.stderr).toContain(pointer);
    });
  });

  it.each([
    ['a file that is not JSON', 'nope', /not valid JSON/],
    ['a missing file', undefined, /no such file/],
  ])('refuses %s (exit 2)', async (_what, text, message) => {
    const file = text === undefined ? 'missing.json' : 'notjson.json';
    if (text !== undefined) await writeFile(join(dir, file), text);
    const r = await etdi(['canonicalize', file], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('takes exactly one file', async () => {
    const r = await etdi(['canonicalize'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'file'/);
    const two = await etdi(['canonicalize', 'a.json', 'b.json'], { cwd: dir });
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/too many arguments/);
  });
});
