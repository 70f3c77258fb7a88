/**
 * @etdi/cli benchmark (issue 11): `etdi sign` and `etdi verify` over 10,000 tool files, run as
 * the built binary, side by side with the library calls they wrap (`signTool`, `Verifier.verifyAll`)
 * on the same tools already in memory: the ratio is what process start-up, file I/O and JSON
 * formatting cost. Prints ms per 1,000 tools and ratios from one run; asserts nothing.
 *   pnpm bench cli
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importSigningKey, signTool, TrustStore, Verifier, type Tool } from '@etdi/core';
import { compare } from '../../../bench/harness.js';

const FILES = 10_000;
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../core/test/fixtures/mcp-tools/', import.meta.url));

const corpus: Tool[] = readdirSync(CORPUS).flatMap(
  (f) => (JSON.parse(readFileSync(join(CORPUS, f), 'utf8')) as { tools: Tool[] }).tools,
);
const dir = mkdtempSync(join(tmpdir(), 'etdi-cli-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// 10,000 files of one tool each, every name distinct (one version, one definition per name).
const tools: Tool[] = [];
mkdirSync(join(dir, 'tools'));
for (let i = 0; i < FILES; i++) {
  const base = corpus[i % corpus.length]!;
  const tool = { ...base, name: `${base.name.slice(0, 50)}_${i}` };
  tools.push(tool);
  writeFileSync(
    join(dir, 'tools', `t${String(i).padStart(5, '0')}.json`),
    `${JSON.stringify(tool, null, 2)}\n`,
  );
}

const etdi = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`etdi ${args[0]} exited ${r.status}: ${r.stderr}`);
};
etdi('keygen', '--iss', 'com.bench', '--out', 'keys');
const privateJwk = JSON.parse(readFileSync(join(dir, 'keys', 'private.jwk'), 'utf8'));
const key = await importSigningKey(privateJwk);
const jwks = JSON.parse(readFileSync(join(dir, 'keys', 'jwks.json'), 'utf8'));
const trust = await TrustStore.fromJwks(jwks);
etdi('sign', 'tools', '--key', 'keys/private.jwk', '--ver', '1.0.0', '--out', 'signed');
const signed = readdirSync(join(dir, 'signed')).map(
  (f) => JSON.parse(readFileSync(join(dir, 'signed', f), 'utf8')) as Tool,
);

const per1000 = (usPerCall: number) =>
  `${((usPerCall / 1000) * (1000 / FILES)).toFixed(1)} ms per 1,000 tools`;

const signResults = await compare(
  `sign ${FILES} tools (one file each)`,
  [
    {
      name: 'library: signTool over the tools in memory',
      fn: async () => {
        const now = Date.now();
        for (const t of tools) await signTool(t, { key, ver: '1.0.0', now });
      },
      opsPerCall: FILES,
    },
    {
      name: 'etdi sign tools/ --out (process, read, sign, write)',
      fn: () =>
        etdi('sign', 'tools', '--key', 'keys/private.jwk', '--ver', '1.0.0', '--out', 'resigned'),
      opsPerCall: FILES,
    },
  ],
  { calls: 1, rounds: 3, warmup: 1 },
);

const verifyResults = await compare(
  `verify ${FILES} signed tools (one file each)`,
  [
    {
      name: 'library: a fresh Verifier, verifyAll per file',
      fn: async () => {
        const verifier = new Verifier({ trust });
        for (const t of signed) await verifier.verifyAll([t]);
      },
      opsPerCall: FILES,
    },
    {
      name: 'etdi verify signed/ --jwks (process, read, verify, report)',
      fn: () => etdi('verify', 'signed', '--jwks', 'keys/jwks.json', '--format', 'json'),
      opsPerCall: FILES,
    },
  ],
  { calls: 1, rounds: 3, warmup: 1 },
);

for (const r of [...signResults, ...verifyResults])
  console.log(`  ${r.name}: ${per1000(r.usPerCall)}`);
