import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig, parseGatewayConfig } from '../src/config/load-config.js';
import { validateGatewayConfig } from '../src/config/validate-config.js';
import { GatewayError } from '../src/errors.js';

const minimal = {
  publicUrl: 'http://127.0.0.1:8080',
  auth: { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
  trust: { jwks: ['keys/acme.jwks.json'] },
  upstreams: { files: { url: 'http://127.0.0.1:9000/mcp', providers: ['com.acme'] } },
};

function issuesOf(document: unknown, env: Record<string, string> = {}) {
  try {
    validateGatewayConfig(document, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'invalid-config' });
    return (error as GatewayError).issues;
  }
  throw new Error('expected the configuration to be refused');
}

describe('validateGatewayConfig', () => {
  it('applies the defaults', () => {
    const config = validateGatewayConfig(minimal, { baseDir: '/etc/etdi' });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.maxRequestBytes).toBe(4 * 1024 * 1024);
    expect(config.sessions).toEqual({
      store: 'memory',
      redis: undefined,
      ttlSec: 86_400,
      maxPerPrincipal: 1024,
    });
    expect(config.upstreams.get('files')).toMatchObject({
      timeoutMs: 30_000,
      headers: {},
      oauth: undefined,
    });
    expect(config.baseDir).toBe('/etc/etdi');
    expect(config.allowedOrigins).toEqual(['http://127.0.0.1:8080']);
  });

  it('names every bad field at once', () => {
    const issues = issuesOf({
      ...minimal,
      publicUrl: 'ftp://x',
      listen: { port: 'eighty' },
      extra: true,
      upstreams: {
        files: {
          url: 'http://127.0.0.1:9000/mcp',
          providers: ['com.acme'],
          timeout: '30',
          mode: 'audit',
          headers: { 'bad header': 'x' },
        },
      },
    });
    const pointers = issues.map((i) => i.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining([
        '/publicUrl',
        '/listen/port',
        '/extra',
        '/upstreams/files/timeout',
        '/upstreams/files/mode',
      ]),
    );
    expect(pointers.some((p) => p.startsWith('/upstreams/files/headers'))).toBe(true);
  });

  it('requires auth, trust and at least one upstream', () => {
    const pointers = issuesOf({ publicUrl: 'http://127.0.0.1:8080', upstreams: {} }).map(
      (i) => i.pointer,
    );
    expect(pointers).toEqual(expect.arrayContaining(['/auth', '/trust', '/upstreams']));
  });

  it('resolves ${env:NAME} and names an unset variable by its pointer, never its value', () => {
    const document = {
      ...minimal,
      upstreams: {
        files: {
          url: 'http://127.0.0.1:9000/mcp',
          providers: ['com.acme'],
          headers: { 'X-Api-Key': '${env:FILES_KEY}' },
        },
      },
    };
    const config = validateGatewayConfig(document, { env: { FILES_KEY: 'secret-value' } });
    expect(config.upstreams.get('files')?.headers).toEqual({ 'X-Api-Key': 'secret-value' });
    const issues = issuesOf(document);
    expect(issues).toEqual([
      {
        pointer: '/upstreams/files/headers/X-Api-Key',
        message: 'environment variable FILES_KEY is not set',
      },
    ]);
  });

  it('refuses a publicUrl with a path and upstream URLs with credentials', () => {
    const pointers = issuesOf({
      ...minimal,
      publicUrl: 'http://127.0.0.1:8080/gateway',
      upstreams: { files: { url: 'http://user:pw@127.0.0.1:9000/mcp', providers: ['com.acme'] } },
    }).map((i) => i.pointer);
    expect(pointers).toEqual(['/publicUrl', '/upstreams/files/url']);
  });

  it('refuses upstream OAuth settings the oauth package refuses, at their pointer', () => {
    const issues = issuesOf({
      ...minimal,
      upstreams: {
        files: {
          url: 'http://127.0.0.1:9000/mcp',
          providers: ['com.acme'],
          oauth: {
            grantType: 'client_credentials',
            tokenUrl: 'http://as.example/token',
            clientId: 'gw',
            clientSecret: 's',
          },
        },
      },
    });
    expect(issues[0]?.pointer.startsWith('/upstreams/files/oauth')).toBe(true);
  });

  it('puts sessions in Redis when pins are there, and wants Redis for a Redis session store', () => {
    const config = validateGatewayConfig({
      ...minimal,
      pins: { store: 'redis', redis: { url: 'redis://127.0.0.1:6379', prefix: 'p:' } },
    });
    expect(config.sessions.store).toBe('redis');
    expect(config.sessions.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'p:' });
    expect(issuesOf({ ...minimal, sessions: { store: 'redis' } }).map((i) => i.pointer)).toEqual([
      '/sessions/redis',
    ]);
  });
});

describe('parseGatewayConfig and loadGatewayConfig', () => {
  it('refuses a repeated key in JSON and in YAML', () => {
    const json = JSON.stringify(minimal).replace('"trust":', '"trust":{},"trust":');
    expect(() => parseGatewayConfig(json, 'json')).toThrow(
      expect.objectContaining({ code: 'invalid-config', pointer: '/trust' }),
    );
    expect(() => parseGatewayConfig('publicUrl: a\npublicUrl: b\n', 'yaml')).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
  });

  it('resolves relative paths against the file and names the file in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etdi-gw-config-'));
    const path = join(dir, 'gateway.json');
    writeFileSync(path, JSON.stringify(minimal));
    expect((await loadGatewayConfig(path)).baseDir).toBe(dir);
    writeFileSync(path, JSON.stringify({ ...minimal, listen: { port: -1 } }));
    const error = await loadGatewayConfig(path).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid-config', pointer: '/listen/port' });
    expect((error as Error).message.startsWith(path)).toBe(true);
    await expect(loadGatewayConfig(join(dir, 'gateway.toml'))).rejects.toMatchObject({
      code: 'invalid-config',
    });
  });

  it('loads the copy-paste example of docs/gateway.md', () => {
    const doc = readFileSync(
      fileURLToPath(new URL('../../../docs/gateway.md', import.meta.url)),
      'utf8',
    );
    const match = /<!-- gateway-config: yaml -->\s*```yaml\n([\s\S]*?)```/.exec(doc);
    expect(match).not.toBeNull();
    const config = parseGatewayConfig(match![1]!, 'yaml', {
      env: { FILES_KEY: 'k', ETDI_API_KEY_PEPPER: 'pepper-pepper-pepper' },
    });
    expect([...config.upstreams.keys()]).toEqual(['files', 'everything']);
  });
});
