// Registry throughput, measured side by side in one run (bench/harness.ts: interleaved rounds,
// medians, ratios). It prints numbers and asserts nothing about time.
//
// 1. GET /v1/tools/{iss}/{name}/{ver} over HTTP (autocannon, keep-alive) from the registry on
//    SQLite and on PostgreSQL, against a bare Fastify route returning the same bytes from
//    memory. Goal (DESIGN.md): the registry at >= 0.7x the bare route.
// 2. Publishing (POST /v1/tools) in batches of 1 and of 100 tools, on both stores: tools/s.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { Agent, request } from 'undici';
import { generateApiKey } from '@etdi/auth';
import {
  buildTrustJwks,
  generateKeyPair,
  importSigningKey,
  signTool,
  type SignedTool,
  type TrustJwks,
} from '@etdi/core';
import { compare, goal, type Candidate } from '../../../bench/harness.js';
import { service } from '../../../testing/services.js';

const SERVER = fileURLToPath(new URL('./bench-server.ts', import.meta.url));
const ROUNDS = 9;
const GET_REQUESTS = 12000;
// autocannon notices the last response at its next sample tick (default every second): sample
// often, so a call's duration is the requests' time and not a whole number of seconds.
const SAMPLE_MS = 5;
const CONNECTIONS = 10;
// `get` or `publish` runs one part only (BENCH_PART=get pnpm bench registry.bench).
const PART = process.env.BENCH_PART ?? 'all';

const dir = mkdtempSync(join(tmpdir(), 'etdi-registry-bench-'));
const adminKey = generateApiKey();
const children: ChildProcess[] = [];
const agent = new Agent({ connections: 16 });

async function start(args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--conditions=@etdi/source', '--import', 'tsx', SERVER, ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return line.trim();
}

async function api(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  key?: string,
  body?: unknown,
): Promise<string> {
  const res = await request(`${base}${path}`, {
    method,
    dispatcher: agent,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return text;
}

/** A provider with a publisher key and a signing key on one registry; the publisher key. */
async function provider(base: string, jwks: TrustJwks): Promise<string> {
  await api(base, 'POST', '/v1/providers', adminKey, { iss: 'com.bench' });
  const issued = await api(base, 'POST', '/v1/providers/com.bench/api-keys', adminKey, {});
  const { apiKey } = JSON.parse(issued) as { apiKey: string };
  await api(base, 'POST', '/v1/providers/com.bench/keys', apiKey, jwks);
  return apiKey;
}

const TOOL = (name: string) => ({
  name,
  title: 'Read a text file',
  description:
    'Read the complete contents of a file from the file system as text. Handles various text encodings and provides detailed error messages if the file cannot be read.',
  inputSchema: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path of the file' },
      head: { type: 'number', description: 'Only the first N lines' },
      tail: { type: 'number', description: 'Only the last N lines' },
    },
    required: ['path'],
  },
  annotations: { readOnlyHint: true },
});

async function main(): Promise<void> {
  const pgInfo = await service('postgres');
  const schema = `etdi_reg_bench_${process.pid}`;
  const pair = await generateKeyPair('EdDSA', { iss: 'com.bench' });
  const key = await importSigningKey(pair.privateJwk);
  const jwks = await buildTrustJwks([{ jwk: pair.publicJwk, iss: 'com.bench' }]);
  const sign = (name: string) =>
    signTool(TOOL(name) as never, { key, ver: '1.0.0', perms: ['files:read'] });

  const served = await sign('read_text_file');
  const body = JSON.stringify(served);
  const env = { BENCH_ADMIN_KEY: adminKey };
  const bareUrl = await start(['bare'], { BENCH_BODY: body });
  const stores = [{ name: 'SQLite', url: await start(['sqlite', join(dir, 'bench.db')], env) }];
  if (pgInfo.available) {
    stores.push({ name: 'PostgreSQL', url: await start(['postgres', pgInfo.url, schema], env) });
  }
  const keys = new Map<string, string>();
  for (const s of stores) {
    keys.set(s.name, await provider(s.url, jwks));
    await api(s.url, 'POST', '/v1/tools', keys.get(s.name), { tools: [served] });
    const got = await api(s.url, 'GET', '/v1/tools/com.bench/read_text_file/1.0.0');
    if (got !== body) throw new Error(`${s.name} does not serve the published bytes`);
  }

  if (PART !== 'publish') await getThroughput(bareUrl, stores, body);
  if (PART !== 'get') await publishThroughput(stores, keys, sign);

  if (pgInfo.available) {
    const client = new pg.Client({ connectionString: pgInfo.url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

type Store = { name: string; url: string };

async function getThroughput(bareUrl: string, stores: Store[], body: string): Promise<void> {
  const hammer = (url: string) => async () => {
    const result = await autocannon({
      url: `${url}/v1/tools/com.bench/read_text_file/1.0.0`,
      connections: CONNECTIONS,
      amount: GET_REQUESTS,
      sampleInt: SAMPLE_MS,
    } as autocannon.Options);
    if (result.non2xx !== 0 || result.errors !== 0) {
      throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
  };
  console.log(
    `GET one published version (${body.length} bytes), ${CONNECTIONS} keep-alive connections`,
  );
  const gets = await compare(
    'GET /v1/tools/{iss}/{name}/{ver}, requests/s (autocannon)',
    [
      {
        name: 'bare Fastify route, same bytes from memory',
        fn: hammer(bareUrl),
        opsPerCall: GET_REQUESTS,
      },
      ...stores.map((s) => ({
        name: `registry on ${s.name}`,
        fn: hammer(s.url),
        opsPerCall: GET_REQUESTS,
      })),
    ],
    { calls: 1, rounds: ROUNDS, warmup: 1 },
  );
  for (const r of gets.slice(1)) goal(`${r.name} vs the bare route`, r.ratio, 0.7);
}

async function publishThroughput(
  stores: Store[],
  keys: Map<string, string>,
  sign: (name: string) => Promise<SignedTool>,
): Promise<void> {
  // Publishing: every call publishes tools never published before (new names), signed ahead.
  let counter = 0;
  const fresh = (n: number) =>
    Promise.all(Array.from({ length: n }, () => sign(`tool_${counter++}`)));
  const publisher = async (
    s: { name: string; url: string },
    batch: number,
    perCall: number,
    concurrency: number,
  ): Promise<Candidate> => {
    const pool: SignedTool[][][] = [];
    for (let c = 0; c < ROUNDS + 1; c++) {
      const calls: SignedTool[][] = [];
      for (let i = 0; i < perCall / batch; i++) calls.push(await fresh(batch));
      pool.push(calls);
    }
    return {
      name: `registry on ${s.name}, batches of ${batch}`,
      opsPerCall: perCall,
      fn: async () => {
        const calls = pool.shift()!;
        let next = 0;
        const worker = async () => {
          while (next < calls.length) {
            const tools = calls[next++]!;
            await api(s.url, 'POST', '/v1/tools', keys.get(s.name), { tools });
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
      },
    };
  };
  const candidates: Candidate[] = [];
  for (const s of stores) candidates.push(await publisher(s, 1, 200, 8));
  for (const s of stores) candidates.push(await publisher(s, 100, 1000, 2));
  console.log('\nPublishing tools never published before (verify, sign a receipt, store durably)');
  await compare('POST /v1/tools, tools/s', candidates, { calls: 1, rounds: ROUNDS, warmup: 1 });
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
}
