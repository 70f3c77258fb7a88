/**
 * The guard on a 100-tool `tools/list` (real corpus tools, Ed25519, signed in band), measured
 * side by side in one run: JSON.parse + JSON.stringify of the same bytes (what any proxy that
 * looks at the list pays), the byte-level cache hit, a cache miss with the verifier's caches
 * warm, and a fully cold verification (a fresh guard: JCS, SHA-256, Ed25519, first-use pins).
 *   pnpm bench guard
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTrustJwks, generateKeyPair, importSigningKey, signTool, type Tool } from '@etdi/core';
import { compare, goal } from '../../../bench/harness.js';
import { createToolGuard, type GatewayToolGuard } from '../src/guard/create-tool-guard.js';
import { corpusTools } from '../test/guard/support/fixtures.js';

const TOOLS = 100;
const pair = await generateKeyPair('EdDSA', { iss: 'com.acme' });
const key = await importSigningKey(pair.privateJwk);
const dir = await mkdtemp(join(tmpdir(), 'etdi-guard-bench-'));
await writeFile(
  join(dir, 'trust.jwks.json'),
  JSON.stringify(await buildTrustJwks([{ jwk: pair.publicJwk, iss: 'com.acme' }])),
);
const tools = await Promise.all(
  corpusTools(TOOLS).map((t: Tool) => signTool(t, { key, ver: '1.0.0', perms: ['tools:call'] })),
);
const bytes = JSON.stringify({ result: { tools }, jsonrpc: '2.0', id: 1 });
// Messages as the proxy hands them over: flat strings decoded from the upstream's bytes, each
// with its own id. Made ahead, so no candidate pays for building its input.
const head = bytes.slice(0, bytes.length - '1}'.length);
const variants = Array.from({ length: 256 }, (_, i) =>
  Buffer.from(`${head}${i + 2}}`).toString('utf8'),
);
const message = (n: number) => variants[n % variants.length]!;

const config = {
  trust: { jwks: ['trust.jwks.json'] },
  upstreams: { files: { mode: 'enforce' as const, providers: ['com.acme'] } },
};
const open = () =>
  createToolGuard(config, { baseDir: dir, watchFiles: false, filePollIntervalMs: 0 });
const ctx = { upstream: 'files', sessionId: 'bench', principal: 'bench' };

const warm = await open();
await warm.rewriteToolsList(ctx, bytes, undefined);
const check = await warm.rewriteToolsList(ctx, message(2), undefined);
if (!check.cached || check.verified !== TOOLS) throw new Error('the cached path is not taken');
if (!check.text.endsWith(',"id":4}')) throw new Error("the id is not the request's");

// Fully cold runs need a guard that has never seen the tools: made ahead, used once each.
const CALLS = 10;
const ROUNDS = 7;
const spare: GatewayToolGuard[] = [];
for (let i = 0; i < CALLS * (ROUNDS + 1) + 2; i++) spare.push(await open());
const used: GatewayToolGuard[] = [];

let id = 10;
console.log(
  `${TOOLS} signed tools, ${Math.round(bytes.length / 1024)} KiB per tools/list message, Node ${process.version}`,
);
const parseStringify = {
  name: 'JSON.parse + JSON.stringify of the same bytes',
  fn: () => JSON.stringify(JSON.parse(message(id++))),
};
const cachedHit = {
  name: 'guard, cached (byte-level cache hit)',
  fn: () => warm.rewriteToolsList(ctx, message(id++), undefined),
};
// The hot path on its own (many calls per round), so the verifications' garbage does not land
// on it; then the verifications against it.
const [parse, cached] = await compare(
  `tools/list of ${TOOLS} tools: the cache hit vs what any proxy that reads the list pays`,
  [parseStringify, cachedHit],
  { calls: 200, rounds: ROUNDS },
);
const [hit, miss, cold] = await compare(
  `tools/list of ${TOOLS} tools: verification when the bytes are new (ratios to the cache hit)`,
  [
    cachedHit,
    {
      name: 'guard, cache miss (verifier caches warm)',
      fn: () => {
        warm.listChanged('files');
        return warm.rewriteToolsList(ctx, message(id++), undefined);
      },
    },
    {
      name: 'guard, cold (fresh guard: JCS + SHA-256 + Ed25519 + pins)',
      fn: async () => {
        const g = spare.pop()!;
        used.push(g);
        return g.rewriteToolsList(ctx, message(id++), undefined);
      },
    },
  ],
  { calls: CALLS, rounds: ROUNDS, warmup: 1 },
);
console.log(
  `\n  cache hit: ${cached!.usPerCall.toFixed(0)} µs, parse+stringify: ${parse!.usPerCall.toFixed(0)} µs, miss: ${(miss!.usPerCall / 1000).toFixed(1)} ms, cold: ${(cold!.usPerCall / 1000).toFixed(1)} ms`,
);
console.log(
  `  a hit is ${(hit!.opsPerSec / miss!.opsPerSec).toFixed(0)}x a miss and ${(hit!.opsPerSec / cold!.opsPerSec).toFixed(0)}x a cold verification`,
);
// DESIGN.md: a list seen byte for byte must not be parsed, canonicalized and verified again;
// the hit must cost less than the parse + stringify any proxy reading the list would pay.
goal('cached vs JSON.parse + JSON.stringify', cached!.ratio, 1);

for (const g of [warm, ...spare, ...used]) await g.close();
await rm(dir, { recursive: true, force: true });
