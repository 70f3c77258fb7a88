import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../src/config/load-config.js';
import { runGatewayCli } from '../src/run-gateway-cli.js';
import { provider, tempDir, trustJwks, writeJson } from './guard/support/fixtures.js';
import { STDIO_DEFAULTS } from '../src/config/stdio-config.js';
import { validateGatewayConfig } from '../src/config/validate-config.js';
import { GatewayError } from '../src/errors.js';

const base = {
  publicUrl: 'http://127.0.0.1:8080',
  auth: { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
  trust: { jwks: ['keys/acme.jwks.json'] },
};

function withUpstream(upstream: Record<string, unknown>) {
  return { ...base, upstreams: { local: { providers: ['com.acme'], ...upstream } } };
}

function issuesOf(document: unknown, env: Record<string, string> = {}) {
  try {
    validateGatewayConfig(document, { env, baseDir: '/etc/etdi' });
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'invalid-config' });
    return (error as GatewayError).issues;
  }
  throw new Error('expected the configuration to be refused');
}

describe('a stdio upstream in the configuration', () => {
  it('applies the defaults and anchors paths at the configuration file', () => {
    const config = validateGatewayConfig(
      withUpstream({ command: 'mcp-server-files', args: ['--root', 'data'] }),
      { baseDir: '/etc/etdi' },
    );
    const upstream = config.upstreams.get('local')!;
    expect(upstream.url).toBeUndefined();
    expect(upstream.stdio).toEqual({
      command: 'mcp-server-files',
      args: ['--root', 'data'],
      env: {},
      cwd: '/etc/etdi',
      isolation: 'session',
      maxProcesses: STDIO_DEFAULTS.maxProcesses,
      maxSessions: 1024,
      maxSessionsPerPrincipal: 8,
      maxSessionLifetimeMs: 86_400_000,
      idleTimeoutMs: 600_000,
      initializeTimeoutMs: 30_000,
      shutdownGraceMs: 5_000,
    });
  });

  it('resolves a relative command path and cwd, and ${env:…} in env', () => {
    const config = validateGatewayConfig(
      withUpstream({
        command: './bin/server',
        cwd: 'work',
        env: { API_KEY: '${env:FILES_KEY}' },
        isolation: 'shared',
        maxProcesses: 4,
        idleTimeout: '90s',
        initializeTimeout: '5s',
      }),
      { baseDir: '/etc/etdi', env: { FILES_KEY: 'k-123' } },
    );
    expect(config.upstreams.get('local')!.stdio).toMatchObject({
      command: '/etc/etdi/bin/server',
      cwd: '/etc/etdi/work',
      env: { API_KEY: 'k-123' },
      isolation: 'shared',
      maxProcesses: 4,
      idleTimeoutMs: 90_000,
      initializeTimeoutMs: 5_000,
    });
  });

  it('refuses an upstream with neither url nor command, naming the upstream', () => {
    const issues = issuesOf(withUpstream({}));
    expect(issues).toEqual([
      {
        pointer: '/upstreams/local',
        message: 'missing: url (an HTTP upstream) or command (a stdio upstream)',
      },
    ]);
  });

  it('refuses an upstream with both url and command', () => {
    const issues = issuesOf(withUpstream({ url: 'http://127.0.0.1:9000/mcp', command: 'x' }));
    expect(issues.map((i) => i.pointer)).toEqual(['/upstreams/local/command']);
    expect(issues[0]!.message).toMatch(/either url .* or command/);
  });

  it('refuses stdio members on an HTTP upstream and HTTP members on a stdio one', () => {
    expect(
      issuesOf(
        withUpstream({ url: 'http://127.0.0.1:9000/mcp', args: ['x'], maxProcesses: 2 }),
      ).map((i) => i.pointer),
    ).toEqual(['/upstreams/local/args', '/upstreams/local/maxProcesses']);
    expect(
      issuesOf(withUpstream({ command: 'x', headers: { 'X-Key': 'k' } })).map((i) => i.pointer),
    ).toEqual(['/upstreams/local/headers']);
  });

  it('names each bad stdio member', () => {
    const issues = issuesOf(
      withUpstream({
        command: '',
        args: 'not-a-list',
        env: { 'BAD-NAME': 'x', OK: 3 },
        isolation: 'per-call',
        maxProcesses: 0,
        idleTimeout: '10',
      }),
    );
    const pointers = issues.map((i) => i.pointer);
    for (const pointer of [
      '/upstreams/local/command',
      '/upstreams/local/args',
      '/upstreams/local/env',
      '/upstreams/local/env/OK',
      '/upstreams/local/isolation',
      '/upstreams/local/maxProcesses',
      '/upstreams/local/idleTimeout',
    ]) {
      expect(pointers).toContain(pointer);
    }
  });

  describe('the per-caller session quota', () => {
    it('defaults to a quarter of maxProcesses, at most 8', () => {
      const quota = (upstream: object) =>
        validateGatewayConfig(withUpstream({ command: 'x', ...upstream }), {
          baseDir: '/etc',
        }).upstreams.get('local')!.stdio!.maxSessionsPerPrincipal;
      expect(quota({})).toBe(8);
      expect(quota({ maxProcesses: 4 })).toBe(1);
      expect(quota({ maxProcesses: 10 })).toBe(3);
      expect(quota({ maxProcesses: 10, maxSessionsPerPrincipal: 10 })).toBe(10);
    });

    it('refuses a quota larger than the children (or sessions) it is a share of', () => {
      expect(
        issuesOf(withUpstream({ command: 'x', maxProcesses: 4, maxSessionsPerPrincipal: 5 })),
      ).toEqual([
        {
          pointer: '/upstreams/local/maxSessionsPerPrincipal',
          message:
            "is 5, more than the upstream's maxProcesses (or maxSessions) of 4; one caller could take them all",
        },
      ]);
      expect(
        issuesOf(
          withUpstream({
            command: 'x',
            isolation: 'shared',
            maxSessions: 10,
            maxSessionsPerPrincipal: 11,
          }),
        ).map((i) => i.pointer),
      ).toEqual(['/upstreams/local/maxSessionsPerPrincipal']);
      expect(
        issuesOf(
          withUpstream({ command: 'x', maxSessionsPerPrincipal: 0, maxSessionLifetime: 'x' }),
        ).map((i) => i.pointer),
      ).toEqual(
        expect.arrayContaining([
          '/upstreams/local/maxSessionsPerPrincipal',
          '/upstreams/local/maxSessionLifetime',
        ]),
      );
    });
  });

  it('reports an unset ${env:…} in env by its pointer, never its value', () => {
    const issues = issuesOf(withUpstream({ command: 'x', env: { TOKEN: '${env:NOPE}' } }));
    expect(issues).toEqual([
      { pointer: '/upstreams/local/env/TOKEN', message: 'environment variable NOPE is not set' },
    ]);
  });

  it('loads the copy-paste example of docs/gateway.md', () => {
    const doc = readFileSync(
      fileURLToPath(new URL('../../../docs/gateway.md', import.meta.url)),
      'utf8',
    );
    const match = /<!-- gateway-config: stdio-yaml -->\s*```yaml\n([\s\S]*?)```/.exec(doc);
    expect(match).not.toBeNull();
    const config = parseGatewayConfig(match![1]!, 'yaml', {
      env: { GITHUB_ORG: 'acme' },
      baseDir: '/etc/etdi',
    });
    expect(config.upstreams.get('files')!.stdio).toMatchObject({
      command: 'mcp-server-filesystem',
      args: ['/srv/shared'],
      cwd: '/etc/etdi',
      isolation: 'session',
    });
    expect(config.upstreams.get('github')!.stdio).toMatchObject({
      command: 'node',
      env: { GITHUB_API_URL: 'https://api.github.com', GITHUB_ORG: 'acme' },
      isolation: 'shared',
    });
  });

  it('etdi-gateway --check: a command that cannot be found is named by its pointer', async () => {
    const dir = await tempDir();
    try {
      await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
      const write = (upstreams: object) =>
        writeJson(`${dir.dir}/gateway.json`, {
          ...base,
          trust: { jwks: ['trust.jwks.json'] },
          upstreams,
        });
      const run = async (file: string, env: Record<string, string>) => {
        const out: string[] = [];
        const err: string[] = [];
        const { exitCode } = await runGatewayCli(['--check', '--config', file], {
          stdout: { write: (s: string) => out.push(s) },
          stderr: { write: (s: string) => err.push(s) },
          env,
        });
        return { exitCode, out: out.join(''), err: err.join('') };
      };
      const ok = await write({
        node: { command: process.execPath, providers: ['com.acme'] },
        inPath: { command: 'node-on-path', providers: ['com.acme'], env: { PATH: dir.dir } },
      });
      await writeFile(`${dir.dir}/node-on-path`, '#!/bin/sh\n', { mode: 0o755 });
      expect(await run(ok, {})).toMatchObject({ exitCode: 0 });
      const bad = await write({
        typo: { command: 'mcp-server-filesytem', providers: ['com.acme'] },
        missing: { command: './bin/nothing', providers: ['com.acme'] },
      });
      const result = await run(bad, { PATH: dir.dir });
      expect(result.exitCode).toBe(1);
      expect(result.err).toContain(
        '/upstreams/typo/command: mcp-server-filesytem is not found in the PATH the child gets',
      );
      expect(result.err).toContain(
        `/upstreams/missing/command: ${dir.dir}/bin/nothing is not an executable file`,
      );
    } finally {
      await dir.cleanup();
    }
  });
});
