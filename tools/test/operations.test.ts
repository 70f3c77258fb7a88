import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return sources(path);
      return e.name.endsWith('.ts') ? [await readFile(path, 'utf8')] : [];
    }),
  );
  return nested.flat();
}

describe('docs/operations.md', () => {
  it('lists exactly the metrics the registry and the gateway register', async () => {
    const code = new Set<string>();
    for (const pkg of ['registry', 'gateway']) {
      for (const text of await sources(join(root, 'packages', pkg, 'src'))) {
        for (const m of text.matchAll(/'(etdi_(?:registry|gateway)_[a-z_]+)'/g)) code.add(m[1]!);
      }
    }
    const page = await readFile(join(root, 'docs/operations.md'), 'utf8');
    const documented = new Set([...page.matchAll(/^\| `(etdi_[a-z_]+)`/gm)].map((m) => m[1]!));
    expect(code.size).toBeGreaterThan(5);
    expect([...documented].sort()).toEqual([...code].sort());
  });
});
