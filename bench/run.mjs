#!/usr/bin/env node
// Runs every benchmark (`bench/*.bench.ts` and `packages/*/bench/*.bench.ts`) one after the other,
// each in its own Node process so they do not disturb each other's JIT and heap. Benchmarks print
// ratios measured side by side in one run; they assert nothing about time.
// Usage: pnpm bench [filter]   e.g. `pnpm bench verify` runs only files whose path contains "verify".
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv[2] ?? '';
const dirs = [join(root, 'bench')];
for (const pkg of readdirSync(join(root, 'packages')))
  dirs.push(join(root, 'packages', pkg, 'bench'));

const files = dirs
  .filter((d) => existsSync(d))
  .flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.bench.ts'))
      .map((f) => join(d, f)),
  )
  // Match the path inside the repository: the checkout's own folder name must not match every file.
  .filter((f) => relative(root, f).includes(filter))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches "${filter}"`);
  process.exitCode = 2;
}
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${relative(root, file)} ===`);
  const r = spawnSync(process.execPath, ['--conditions=@etdi/source', '--import', 'tsx', file], {
    stdio: 'inherit',
    cwd: root,
  });
  if (r.status !== 0) failed++;
}
if (failed > 0) {
  console.error(`\n${failed} benchmark file(s) failed`);
  process.exitCode = 1;
}
