import { spawnSync } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGatewayCli } from '@etdi/gateway';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFile(join(root, path), 'utf8');
const exists = (path: string) =>
  access(join(root, path)).then(
    () => true,
    () => false,
  );

interface ComposeService {
  readonly build?: { readonly context: string; readonly dockerfile: string };
  readonly volumes?: readonly string[];
  readonly secrets?: readonly string[];
  readonly healthcheck?: { readonly test: unknown };
  readonly environment?: Readonly<Record<string, string>>;
}
interface ComposeFile {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly secrets?: Readonly<Record<string, { readonly file?: string }>>;
}

/** The Compose schema, compiled (its `$schema` names draft-07 by an https URL ajv does not know). */
async function composeValidator() {
  const { $schema: _draft, ...schema } = JSON.parse(
    await read('tools/fixtures/compose-spec.json'),
  ) as {
    $schema: string;
  };
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

function dockerCompose(): boolean {
  const r = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  return r.status === 0;
}

describe('compose.yaml', () => {
  it('is a valid Compose file (docker compose config, or the Compose schema)', async () => {
    if (dockerCompose()) {
      const r = spawnSync('docker', ['compose', '-f', 'compose.yaml', 'config', '-q'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, POSTGRES_PASSWORD: 'x', ETDI_REGISTRY_API_KEY_PEPPER: 'x' },
      });
      expect(r.status, r.stderr).toBe(0);
      return;
    }
    console.warn('docker compose is not installed: compose.yaml is checked against the schema');
    const validate = await composeValidator();
    const compose = parse(await read('compose.yaml')) as unknown;
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('the schema check can fail: a misspelt member is refused', async () => {
    const validate = await composeValidator();
    expect(validate({ services: { a: { image: 'x', healthchek: {} } } })).toBe(false);
  });

  it('runs the registry on PostgreSQL and the gateway on Redis, with health checks', async () => {
    const compose = parse(await read('compose.yaml')) as ComposeFile;
    const { registry, gateway, postgres, redis } = compose.services;
    expect(registry?.environment?.ETDI_REGISTRY_DB).toMatch(/^postgres:\/\/[^:@]+@postgres:/);
    for (const s of [registry, gateway, postgres, redis]) expect(s?.healthcheck).toBeDefined();
    const gatewayConfig = parse(await read('deploy/gateway.yaml')) as {
      pins: { store: string };
      auth: { redis: { url: string } };
    };
    expect(gatewayConfig.pins.store).toBe('redis');
    expect(gatewayConfig.auth.redis.url).toMatch(/^redis:\/\/redis:/);
  });

  it('hard-codes no secret: passwords and peppers come from the environment', async () => {
    const text = await read('compose.yaml');
    for (const m of text.matchAll(/(PASSWORD|PEPPER|SECRET)[A-Z_]*:\s*(.+)/g)) {
      expect(m[2]!.trim(), m[0]).toMatch(/^\$\{[A-Z_]+:\?/);
    }
  });

  it('builds from Dockerfiles and mounts files that exist', async () => {
    const compose = parse(await read('compose.yaml')) as ComposeFile;
    for (const service of Object.values(compose.services)) {
      if (service.build) {
        expect(service.build.context).toBe('.');
        expect(await exists(service.build.dockerfile), service.build.dockerfile).toBe(true);
      }
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(await exists(source), source).toBe(true);
      }
    }
    // Secret files are made by the operator (compose.yaml says how) and are never committed.
    for (const secret of Object.values(compose.secrets ?? {})) {
      expect(secret.file).toMatch(/^\.\/deploy\/secrets\//);
    }
    expect(await read('.gitignore')).toContain('deploy/secrets');
    expect(await read('.dockerignore')).toContain('deploy/secrets');
  });

  it('mounts a gateway configuration the gateway accepts', async () => {
    let err = '';
    const { exitCode } = await runGatewayCli(
      ['--check', '--config', join(root, 'deploy/gateway.yaml')],
      {
        stdout: { write: () => true },
        stderr: { write: (s: string) => (err += s) },
        env: { ETDI_GATEWAY_PUBLIC_URL: 'http://localhost:8080' },
      },
    );
    expect(exitCode, err).toBe(0);
  });
});

describe.each(['registry', 'gateway'])('packages/%s/Dockerfile', (name) => {
  it('is multi-stage on Node 20 slim, deploys its own package, runs as non-root with a HEALTHCHECK', async () => {
    const text = await read(`packages/${name}/Dockerfile`);
    const pkg = JSON.parse(await read(`packages/${name}/package.json`)) as {
      name: string;
      bin: Record<string, string>;
    };
    expect(text.match(/^FROM node:20-slim/gm)?.length).toBe(2);
    expect(text).toContain(`pnpm --filter ${pkg.name} deploy --prod`);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
    // The entry point is the package's own bin, where `pnpm deploy` puts it.
    const entry = /^ENTRYPOINT \["node", "\/app\/(.+)"\]$/m.exec(text);
    expect(entry?.[1]).toBe(Object.values(pkg.bin)[0]!.replace(/^\.\//, ''));
    // Everything it copies from the context exists.
    for (const m of text.matchAll(/^COPY (?!--from)(\S+) /gm)) {
      expect(await exists(m[1]!), m[1]).toBe(true);
    }
  });
});
