/** `etdi-gateway`, in-process: --check, --json, problems named by pointer, and serving. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGatewayCli } from '../src/run-gateway-cli.js';
import { provider, tempDir, trustJwks, writeJson } from './guard/support/fixtures.js';
import { freePort } from './support/gateway.js';

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      env,
    },
  };
}

describe('etdi-gateway', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let good: string;
  let port: number;

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
    port = await freePort();
    good = await writeJson(`${dir.dir}/gateway.json`, {
      listen: { host: '127.0.0.1', port },
      publicUrl: `http://127.0.0.1:${port}`,
      logLevel: 'silent',
      auth: { providers: { keys: { type: 'apiKey', keys: [] } } },
      trust: { jwks: ['trust.jwks.json'] },
      upstreams: {
        files: {
          url: 'http://127.0.0.1:9/mcp',
          providers: ['com.acme'],
          headers: { 'X-Key': '${env:FILES_KEY}' },
        },
      },
    });
  });
  afterAll(() => dir.cleanup());

  it('--check: a valid configuration exits 0', async () => {
    const t = io({ FILES_KEY: 'k' });
    expect((await runGatewayCli(['--check', '--config', good], t.io)).exitCode).toBe(0);
    expect(t.out.join('')).toContain('valid (1 upstreams)');
  });

  it('--check: every problem on its own line with its pointer, the auth document included', async () => {
    const bad = await writeJson(`${dir.dir}/bad.json`, {
      publicUrl: 'http://127.0.0.1:8080',
      auth: { providers: { jwt: { type: 'jwt', algorithm: ['RS256'] } } },
      trust: { jwks: ['trust.jwks.json'] },
      upstreams: {
        files: { url: 'http://127.0.0.1:9/mcp', providers: ['com.acme'], timeout: 'soon' },
      },
    });
    const t = io();
    expect((await runGatewayCli(['--check', '--config', bad], t.io)).exitCode).toBe(1);
    expect(t.err.join('')).toContain('/upstreams/files/timeout');
    const t2 = io();
    const fixed = await writeJson(`${dir.dir}/bad2.json`, {
      publicUrl: 'http://127.0.0.1:8080',
      auth: { providers: { jwt: { type: 'jwt', algorithm: ['RS256'] } } },
      trust: { jwks: ['trust.jwks.json'] },
      upstreams: { files: { url: 'http://127.0.0.1:9/mcp', providers: ['com.acme'] } },
    });
    expect((await runGatewayCli(['--check', '--json', '--config', fixed], t2.io)).exitCode).toBe(1);
    const report = JSON.parse(t2.out.join('')) as {
      ok: boolean;
      code: string;
      issues: { pointer: string }[];
    };
    expect(report).toMatchObject({ ok: false, code: 'invalid-config' });
    expect(report.issues.map((i) => i.pointer)).toEqual(
      expect.arrayContaining(['/auth/providers/jwt/algorithm', '/auth/providers/jwt/algorithms']),
    );
  });

  it('names an unset environment variable without a value, and a missing file', async () => {
    const t = io();
    expect((await runGatewayCli(['--check', '--config', good], t.io)).exitCode).toBe(1);
    expect(t.err.join('')).toContain(
      '/upstreams/files/headers/X-Key: environment variable FILES_KEY is not set',
    );
    const t2 = io();
    expect(
      (await runGatewayCli(['--check', '--config', `${dir.dir}/nope.yaml`], t2.io)).exitCode,
    ).toBe(1);
  });

  it('serves, and stops with app.close()', async () => {
    const t = io({ FILES_KEY: 'k' });
    const { exitCode, app } = await runGatewayCli(['--config', good], t.io);
    expect(exitCode).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await app!.close();
  });

  it('a usage error exits 2', async () => {
    expect((await runGatewayCli(['--check'], io().io)).exitCode).toBe(2);
  });
});
