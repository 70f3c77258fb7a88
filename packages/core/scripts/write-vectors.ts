// Rewrites docs/vectors/v1.json from the implementation. Run: pnpm --filter @etdi/core vectors
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildVectors } from '../test/support/build-vectors.js';

const out = fileURLToPath(new URL('../../../docs/vectors/v1.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(await buildVectors(), null, 2)}\n`);
console.log(`wrote ${out}`);
