/**
 * A guard in its own process, pins on Redis: lists the tools in LIST_FILE, prints
 * `listed <verified>` once the answer exists, then waits to be killed (SIGKILL: no cleanup).
 * Env: REDIS_URL, PREFIX, DIR (holds trust.jwks.json and the list).
 */
import { readFile } from 'node:fs/promises';
import { createToolGuard } from '../../../src/guard/create-tool-guard.js';

const dir = process.env.DIR!;
const guard = await createToolGuard(
  {
    trust: { jwks: ['trust.jwks.json'] },
    pins: { store: 'redis', redis: { url: process.env.REDIS_URL!, prefix: process.env.PREFIX! } },
    upstreams: { files: { providers: ['com.acme'] } },
  },
  { baseDir: dir, watchFiles: false, filePollIntervalMs: 0 },
);
const text = await readFile(`${dir}/list.json`, 'utf8');
const out = await guard.rewriteToolsList({ upstream: 'files' }, text, undefined);
process.stdout.write(`listed ${out.verified}\n`);
setInterval(() => {}, 60_000);
