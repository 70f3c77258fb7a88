import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { PROGRESS_MIN_FILES } from '../src/progress.js';
import { CORPUS, etdi, etdiInProcess, readJson, tempDir } from './support/cli.js';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await tempDir()));
afterAll(() => remove());

describe('the etdi program', () => {
  it('prints the version of package.json with --version', async () => {
    const { version } = await readJson<{ version: string }>(
      fileURLToPath(new URL('../package.json', import.meta.url)),
    );
    const r = await etdi(['--version'], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('prints help on stdout with --help (exit 0)', async () => {
    const r = await etdi(['--help'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const command of ['keygen', 'sign', 'verify', 'canonicalize']) {
      expect(r.stdout).toContain(command);
    }
    const sub = await etdi(['verify', '--help'], { cwd: dir });
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--max-age <duration>');
  });

  it('gives every command --help with a copy-paste example', async () => {
    const commands = [
      ['keygen'],
      ['sign'],
      ['verify'],
      ['scan'],
      ['inspect'],
      ['diff'],
      ['certs', 'init'],
      ['provider', 'create'],
      ['api-key', 'create'],
      ['keys', 'push'],
      ['keys', 'retire'],
      ['keys', 'revoke'],
      ['publish'],
      ['revoke'],
      ['fetch'],
      ['canonicalize'],
    ];
    const top = await etdi(['--help'], { cwd: dir });
    // Four at a time: enough to overlap process start-up without swamping a small machine.
    const helps = [];
    for (let i = 0; i < commands.length; i += 4) {
      const batch = commands.slice(i, i + 4).map((c) => etdi([...c, '--help'], { cwd: dir }));
      helps.push(...(await Promise.all(batch)));
    }
    for (const [i, command] of commands.entries()) {
      expect(top.stdout).toContain(command[0]);
      const r = helps[i]!;
      expect(r.code, command.join(' ')).toBe(0);
      expect(r.stdout, command.join(' ')).toMatch(
        new RegExp(`Examples?:\\n  etdi ${command.join(' ')}`),
      );
    }
  }, 180_000);

  it.each([
    ['no command', []],
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['verify', 'x.json', '--jwks', 'k.json', '--strict']],
  ])('treats %s as a usage error: help or message on stderr, exit 2', async (_what, args) => {
    const r = await etdi(args, { cwd: dir });
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toBe('');
  });

  describe('progress', () => {
    beforeAll(async () => {
      await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'keys'], { cwd: dir });
      await mkdir(join(dir, 'many'));
      for (let i = 0; i < PROGRESS_MIN_FILES; i++) {
        await copyFile(join(CORPUS, 'sequential-thinking.json'), join(dir, 'many', `t${i}.json`));
      }
    });
    const args = ['sign', 'many', '--key', 'keys/private.jwk', '--ver', '1.0.0', '--out', 'out'];

    it('is drawn on stderr when it is a terminal and there are many files', async () => {
      const r = await etdiInProcess(args, { cwd: dir, stderrIsTTY: true });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`\rsigning ${PROGRESS_MIN_FILES}/${PROGRESS_MIN_FILES} files`);
      // Results stay clean: progress never reaches stdout.
      expect(r.stdout).not.toContain('\r');
    });

    it('is never drawn when stderr is not a terminal', async () => {
      expect((await etdiInProcess(args, { cwd: dir, stderrIsTTY: false })).stderr).toBe('');
      expect((await etdi(args, { cwd: dir })).stderr).toBe('');
    });

    it('is not drawn for a few files, even on a terminal', async () => {
      const few = ['sign', join(CORPUS, 'memory.json'), ...args.slice(2)];
      expect((await etdiInProcess(few, { cwd: dir, stderrIsTTY: true })).stderr).toBe('');
    });
  });
});
