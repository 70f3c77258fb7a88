import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  readConfigurationReference,
  renderConfigurationReference,
  walkSchema,
} from '../config-reference.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? sourceFiles(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? [join(dir, e.name)]
          : [],
    ),
  );
  return files.flat();
}

describe('docs/configuration.md', () => {
  it('is what the schemas generate (otherwise: run pnpm docs:config)', async () => {
    const [generated, committed] = await Promise.all([
      renderConfigurationReference(),
      readConfigurationReference(),
    ]);
    expect(committed, 'docs/configuration.md is out of date: run pnpm docs:config').toBe(generated);
  });

  it('names every ETDI_* environment variable the registry, the gateway and the CLI read', async () => {
    const page = await readConfigurationReference();
    const files = [
      ...(await sourceFiles(join(root, 'packages/registry/src'))),
      ...(await sourceFiles(join(root, 'packages/gateway/src'))),
      ...(await sourceFiles(join(root, 'packages/cli/src'))),
    ];
    const names = new Set<string>();
    for (const file of files) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/\bETDI_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        names.add(m[0]);
      }
    }
    expect(names.size).toBeGreaterThan(5);
    const missing = [...names].filter((n) => !page.includes(`\`${n}\``));
    expect(missing, 'add them to tools/config-reference.ts, then run pnpm docs:config').toEqual([]);
  });
});

describe('walkSchema', () => {
  it('lists optional members, unions, records and arrays of objects generically', () => {
    const schema = {
      type: 'object',
      required: ['servers'],
      properties: {
        mode: { anyOf: [{ const: 'a' }, { const: 'b' }], default: 'a' },
        limit: {
          anyOf: [
            { const: false },
            {
              type: 'object',
              required: ['max'],
              properties: { max: { type: 'integer', minimum: 1 } },
            },
          ],
        },
        servers: {
          type: 'object',
          patternProperties: {
            '^x$': {
              type: 'object',
              properties: {
                command: { type: 'array', items: { type: 'string' } },
                env: { type: 'array', items: { type: 'object', properties: { k: {} } } },
              },
            },
          },
        },
      },
    };
    const rows = walkSchema(schema, {
      descriptions: { mode: 'the mode' },
      keyNames: { servers: '<name>' },
    });
    expect(rows.map((r) => [r.path, r.type, r.required, r.default, r.description])).toEqual([
      ['mode', '"a" \\| "b"', false, '`a`', 'the mode'],
      ['limit', 'false \\| object', false, '', ''],
      ['limit.max', 'integer (≥ 1)', true, '', ''],
      ['servers', 'map of object', true, '', ''],
      ['servers.<name>.command', 'list of string', false, '', ''],
      ['servers.<name>.env', 'list of object', false, '', ''],
      ['servers.<name>.env[].k', 'any', false, '', ''],
    ]);
  });

  it('lists a member of several union variants once, required only when every variant requires it', () => {
    const http = {
      type: 'object',
      required: ['url', 'providers'],
      properties: {
        url: { type: 'string' },
        providers: { type: 'array', items: { type: 'string' } },
      },
    };
    const stdio = {
      type: 'object',
      required: ['command', 'providers'],
      properties: {
        command: { type: 'string' },
        providers: { type: 'array', items: { type: 'string' } },
        timeout: { type: 'integer' },
      },
    };
    const rows = walkSchema(
      {
        type: 'object',
        properties: {
          upstreams: { type: 'object', patternProperties: { x: { anyOf: [http, stdio] } } },
        },
      },
      { descriptions: {}, keyNames: { upstreams: '<name>' } },
    );
    expect(rows.map((r) => [r.path, r.type, r.required])).toEqual([
      ['upstreams', 'map of object', false],
      ['upstreams.<name>.url', 'string', false],
      ['upstreams.<name>.providers', 'list of string', true],
      ['upstreams.<name>.command', 'string', false],
      ['upstreams.<name>.timeout', 'integer', false],
    ]);
  });
});
