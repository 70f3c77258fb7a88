import { chmod, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { importSigningKey, TrustStore, type TrustJwks } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, etdi, etdiInProcess, parseVerifyJson, readJson, tempDir } from './support/cli.js';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await tempDir()));
afterAll(() => remove());

const isPosix = process.platform !== 'win32';

describe('etdi keygen', () => {
  describe.each(['EdDSA', 'ES256', 'PS256'] as const)('with --alg %s', (alg) => {
    it('writes private.jwk (0600) and a trust JWKS bound to the provider', async () => {
      const out = `keys-${alg}`;
      const r = await etdi(['keygen', '--alg', alg, '--iss', 'com.example', '--out', out], {
        cwd: dir,
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const privateJwk = await readJson<Record<string, unknown>>(join(dir, out, 'private.jwk'));
      const jwks = await readJson<TrustJwks>(join(dir, out, 'jwks.json'));
      const key = await importSigningKey(privateJwk as never);
      expect(key).toMatchObject({ alg, iss: 'com.example' });
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kid: key.kid, alg, iss: 'com.example', use: 'sig' });
      expect(jwks.keys[0]).not.toHaveProperty('d');
      expect((await TrustStore.fromJwks(jwks)).get(key.kid)?.iss).toBe('com.example');
      expect(r.stdout).toContain(key.kid);
      // The private part never reaches the terminal.
      expect(r.stdout).not.toContain(privateJwk.d as string);
      if (isPosix) expect((await stat(join(dir, out, 'private.jwk'))).mode & 0o777).toBe(0o600);
    });

    it('makes a key that signs what verifiers then accept', async () => {
      const out = `keys-${alg}`;
      const signed = await etdi(
        [
          'sign',
          join(CORPUS, 'memory.json'),
          '--key',
          `${out}/private.jwk`,
          '--ver',
          '1.0.0',
        ].concat(['--out', `signed-${alg}`]),
        { cwd: dir },
      );
      expect(signed.code).toBe(0);
      const r = await etdi(
        ['verify', `signed-${alg}`, '--jwks', `${out}/jwks.json`, '--format', 'json'],
        { cwd: dir },
      );
      expect(r.code).toBe(0);
      expect(parseVerifyJson(r.stdout).summary).toEqual({ valid: 9, rejected: 0 });
    });
  });

  describe('when the key files exist', () => {
    it('refuses to overwrite them (exit 2) and leaves them as they were', async () => {
      await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'keep'], { cwd: dir });
      const before = await readFile(join(dir, 'keep', 'private.jwk'), 'utf8');
      const r = await etdi(['keygen', '--iss', 'com.example', '--out', 'keep'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/keep\/private\.jwk already exists/);
      expect(r.stderr).toContain('--force');
      expect(await readFile(join(dir, 'keep', 'private.jwk'), 'utf8')).toBe(before);
    });

    it('refuses when only jwks.json exists, writing no private key', async () => {
      await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'half'], { cwd: dir });
      await rm(join(dir, 'half', 'private.jwk'));
      const r = await etdi(['keygen', '--iss', 'com.example', '--out', 'half'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/half\/jwks\.json already exists/);
      await expect(stat(join(dir, 'half', 'private.jwk'))).rejects.toMatchObject({
        code: 'ENOENT',
      });
    });

    it('replaces them with --force, the new private key at mode 0600', async () => {
      await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'forced'], { cwd: dir });
      const oldKid = (await readJson<TrustJwks>(join(dir, 'forced', 'jwks.json'))).keys[0]?.kid;
      if (isPosix) await chmod(join(dir, 'forced', 'private.jwk'), 0o644);
      const r = await etdi(['keygen', '--iss', 'com.example', '--out', 'forced', '--force'], {
        cwd: dir,
      });
      expect(r.code).toBe(0);
      const newKid = (await readJson<TrustJwks>(join(dir, 'forced', 'jwks.json'))).keys[0]?.kid;
      expect(newKid).toBeDefined();
      expect(newKid).not.toBe(oldKid);
      if (isPosix)
        expect((await stat(join(dir, 'forced', 'private.jwk'))).mode & 0o777).toBe(0o600);
    });
  });

  it('prints the documented shape with --json', async () => {
    const r = await etdi(['keygen', '--iss', 'com.example', '--out', 'json-keys', '--json'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const kid = (await readJson<TrustJwks>(join(dir, 'json-keys', 'jwks.json'))).keys[0]?.kid;
    expect(out).toEqual({
      alg: 'EdDSA',
      kid,
      iss: 'com.example',
      privateKey: 'json-keys/private.jwk',
      jwks: 'json-keys/jwks.json',
    });
  });

  describe('with bad options (exit 2, nothing written)', () => {
    it.each([
      ['an invalid provider id', ['--iss', 'not a provider', '--out', 'bad1'], /--iss/],
      ['no --iss', ['--out', 'bad2'], /required option '--iss <provider>'/],
      ['no --out', ['--iss', 'com.example'], /required option '--out <dir>'/],
      [
        'an unknown algorithm',
        ['--alg', 'HS256', '--iss', 'com.example', '--out', 'bad3'],
        /HS256/,
      ],
    ])('refuses %s', async (_what, args, message) => {
      const r = await etdi(['keygen', ...args], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      for (const d of ['bad1', 'bad2', 'bad3']) {
        await expect(stat(join(dir, d))).rejects.toMatchObject({ code: 'ENOENT' });
      }
    });
  });

  it('writes into a directory it has to create, nested', async () => {
    const r = await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'a/b/c'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect((await stat(join(dir, 'a/b/c/jwks.json'))).isFile()).toBe(true);
  });
});
