import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateApiKey, hashApiKey } from '@etdi/auth';
import { runCli } from '@etdi/cli';
import { buildGateway, loadGatewayConfig, runGatewayCli } from '@etdi/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const page = fileURLToPath(new URL('../../docs/quickstart-gateway-operator.md', import.meta.url));
// server-everything's tool list as `etdi scan --out` writes it (MIT, modelcontextprotocol/servers).
const everything = fileURLToPath(
  new URL('../../packages/core/test/fixtures/mcp-tools/everything.json', import.meta.url),
);
const quiet = { write: () => true };

async function yamlBlocks(): Promise<string[]> {
  const text = await readFile(page, 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function check(dir: string, document: unknown): Promise<{ code: number; err: string }> {
  await writeFile(join(dir, 'gateway.yaml'), stringify(document));
  let err = '';
  const { exitCode } = await runGatewayCli(['--check', '--config', join(dir, 'gateway.yaml')], {
    stdout: quiet,
    stderr: { write: (s: string) => (err += s) },
    env: {},
  });
  return { code: exitCode, err };
}

describe('docs/quickstart-gateway-operator.md', () => {
  let dir: string;

  // Steps 2 and 3 as the page runs them: a reviewed list, signed by the operator's key.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etdi-operator-quickstart-'));
    await copyFile(everything, join(dir, 'everything.json'));
    const io = { cwd: dir, env: {}, stdout: quiet, stderr: quiet };
    expect(await runCli(['keygen', '--iss', 'org.example.reviewed', '--out', 'keys'], io)).toBe(0);
    expect(
      await runCli(
        [
          'sign',
          'everything.json',
          '--key',
          'keys/private.jwk',
          '--ver',
          '1.0.0',
          '--out',
          'reviewed',
        ],
        io,
      ),
    ).toBe(0);
    await mkdir(join(dir, 'registry'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows a gateway configuration that etdi-gateway --check accepts, with a real key hash', async () => {
    const [config] = await yamlBlocks();
    const document = parse(config!) as {
      auth: { providers: { callers: { keys: { keyId: string; hash: string }[] } } };
    };
    // The page's key id and hash are an example: step 3 prints the reader's own.
    const key = generateApiKey();
    document.auth.providers.callers.keys[0]!.keyId = key.split('.')[0]!;
    document.auth.providers.callers.keys[0]!.hash = hashApiKey(key);
    const result = await check(dir, { ...document, logLevel: 'silent' });
    expect(result.code, result.err).toBe(0);
    // Built for real (no port opened): the trust files load, and the gateway is ready.
    const app = await buildGateway(
      await loadGatewayConfig(join(dir, 'gateway.yaml'), { env: {} }),
      {
        env: {},
      },
    );
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode, ready.body).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('names the upstream, the trust files and the attesting provider of the steps before', async () => {
    const [config] = await yamlBlocks();
    const document = parse(config!) as {
      trust: { jwks: string[]; signedTools: string[] };
      upstreams: Record<string, { providers: string[]; url: string }>;
    };
    expect(document.trust).toMatchObject({
      jwks: ['keys/jwks.json'],
      signedTools: ['reviewed/everything.json'],
    });
    expect(document.upstreams.everything).toMatchObject({
      url: 'http://127.0.0.1:3001/mcp',
      providers: ['org.example.reviewed'],
    });
  });

  it('shows a registry trust section the gateway accepts in place of the files', async () => {
    const [config, registry] = await yamlBlocks();
    const document = parse(config!) as Record<string, unknown>;
    const result = await check(dir, { ...document, ...(parse(registry!) as object) });
    expect(result.code, result.err).toBe(0);
  });
});
