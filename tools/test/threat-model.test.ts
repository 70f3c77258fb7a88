import { access, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUTH_FAILURE_CODES } from '@etdi/auth';
import { REASON_CODES } from '@etdi/core';
import { GATEWAY_ERROR_CODES } from '@etdi/gateway';
import { REGISTRY_ERROR_CODES } from '@etdi/registry';
import { describe, expect, it } from 'vitest';

const page = fileURLToPath(new URL('../../docs/threat-model.md', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Codes that only exist on the wire: the guard's call refusal and RFC 6750's error. */
const WIRE_CODES: ReadonlyArray<readonly [string, string]> = [
  ['unknown-tool', 'packages/gateway/src/guard/tool-guard.ts'],
  ['insufficient_scope', 'packages/gateway/src/http/gateway-auth.ts'],
];

interface Row {
  readonly attack: string;
  readonly codes: readonly string[];
  readonly links: readonly string[];
}

async function rows(): Promise<Row[]> {
  const text = await readFile(page, 'utf8');
  const out: Row[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-/.test(line) || line.startsWith('| attack')) continue;
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    expect(cells, line).toHaveLength(4);
    out.push({
      attack: cells[0]!,
      codes: [...cells[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
      links: [...cells[3]!.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!),
    });
  }
  return out;
}

describe('docs/threat-model.md', () => {
  it('has a row per attack, each proven by at least one linked test', async () => {
    const all = await rows();
    expect(all.length).toBeGreaterThanOrEqual(20);
    for (const row of all) expect(row.links.length, row.attack).toBeGreaterThan(0);
  });

  it('links only test files that exist', async () => {
    for (const row of await rows()) {
      for (const link of row.links) {
        const file = resolve(dirname(page), link);
        expect(file.startsWith(root) && /\.test\.ts$/.test(file), link).toBe(true);
        await expect(access(file), `${row.attack}: ${link} does not exist`).resolves.toBe(
          undefined,
        );
      }
    }
  });

  it('names only codes the packages define, each asserted by one of its linked tests', async () => {
    const known = new Set<string>([
      ...REASON_CODES,
      ...REGISTRY_ERROR_CODES,
      ...AUTH_FAILURE_CODES,
      ...GATEWAY_ERROR_CODES,
    ]);
    for (const [code, source] of WIRE_CODES) {
      expect(await readFile(resolve(root, source), 'utf8'), source).toContain(code);
      known.add(code);
    }
    const coded = (await rows()).filter((r) => r.codes.length > 0);
    expect(coded.length).toBeGreaterThan(15);
    for (const row of coded) {
      const tests = await Promise.all(
        row.links.map((l) => readFile(resolve(dirname(page), l), 'utf8')),
      );
      for (const code of row.codes) {
        expect(known.has(code), `${code} is not a code of any package`).toBe(true);
        expect(
          tests.some((t) => t.includes(code)),
          `${row.attack}: no linked test mentions ${code}`,
        ).toBe(true);
      }
    }
  });

  it('covers every verification reason code of the wire format', async () => {
    const named = new Set((await rows()).flatMap((r) => r.codes));
    expect(REASON_CODES.filter((c) => !named.has(c))).toEqual([]);
  });
});
