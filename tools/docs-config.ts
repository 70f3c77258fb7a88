/**
 * `pnpm docs:config`: writes docs/configuration.md from the configuration schemas (see
 * config-reference.ts). `--check` exits 1 when the committed page differs.
 */
import { writeFile } from 'node:fs/promises';
import { readConfigurationReference, renderConfigurationReference } from './config-reference.js';

const target = new URL('../docs/configuration.md', import.meta.url);
const page = await renderConfigurationReference();
if (process.argv.includes('--check')) {
  if (page !== (await readConfigurationReference().catch(() => ''))) {
    console.error('docs/configuration.md is out of date: run pnpm docs:config');
    process.exitCode = 1;
  }
} else {
  await writeFile(target, page);
  console.log('wrote docs/configuration.md');
}
