// The gateway against the upstream alone and against a bare proxy, side by side in one run
// (interleaved rounds, medians, ratios). autocannon on 127.0.0.1 only; every round is bounded in
// time and the benchmark stops by itself. It prints numbers; it asserts nothing about time.
//
// - tools/list of 100 signed tools, one connection: cold (a new gateway's first list: parse,
//   canonicalize, verify 100 signatures) and cached (bytes seen before), p50 latency through the
//   gateway vs the upstream directly. Goal: cached p50 ≤ 1.3x direct.
// - tools/call throughput with API-key auth through the gateway vs a bare undici keep-alive
//   pass-through proxy to the same upstream. Goal: ≥ 0.8x.
import { generateApiKey, hashApiKey, parseApiKey } from '@etdi/auth';
import { buildTrustJwks, generateKeyPair, signTool, silentLogger } from '@etdi/core';
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { once as onceEvent } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'undici';
import { goal } from '../../../bench/harness.js';
import { buildGateway } from '../src/build-gateway.js';

const ROUNDS = 5;
const ROUND_SECONDS = 2;
const COLD_RUNS = 5;
const CONNECTIONS = 16;
const ACCEPT = 'application/json, text/event-stream';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

// 100 signed tools, about the size of real ones.
const pair = await generateKeyPair('EdDSA', { iss: 'com.bench' });
const tools = await Promise.all(
  Array.from({ length: 100 }, (_, i) =>
    signTool(
      {
        name: `tool_${i}`,
        description: `Tool number ${i}: ${'does something useful with files and records. '.repeat(6)}`,
        inputSchema: {
          type: 'object',
          properties: {
            path: { type: 'string', description: 'where' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            mode: { type: 'string', enum: ['read', 'write', 'append'] },
          },
          required: ['path'],
        },
      },
      { key: pair.privateJwk, iss: 'com.bench', ver: '1.0.0' },
    ),
  ),
);
const dir = mkdtempSync(join(tmpdir(), 'etdi-gw-bench-'));
const jwksPath = join(dir, 'bench.jwks.json');
writeFileSync(
  jwksPath,
  JSON.stringify(await buildTrustJwks([{ jwk: pair.publicJwk, iss: 'com.bench' }])),
);

// The upstream, in a child process: a fast stateless MCP server answering from bytes.
const toolsPath = join(dir, 'tools.json');
writeFileSync(toolsPath, JSON.stringify(tools));
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    fileURLToPath(new URL('./support/upstream-process.ts', import.meta.url)),
    toolsPath,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [portLine] = (await onceEvent(child.stdout!, 'data')) as [Buffer];
const upstreamPort = Number(portLine.toString('utf8').trim());
const upstreamUrl = `http://127.0.0.1:${upstreamPort}/mcp`;

// The bare pass-through proxy (as DESIGN.md measures it): Fastify, bodies read as bytes, an undici
// keep-alive pool to the upstream, statuses, headers and bodies as they are. No auth, no checks.
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 64 });
const bare = Fastify();
bare.removeAllContentTypeParsers();
bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
bare.post('/mcp', async (request, reply) => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) {
    if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length')
      headers[k] = v;
  }
  const r = await pool.request({
    path: '/mcp',
    method: 'POST',
    headers,
    body: request.body as Buffer,
  });
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    if (
      v !== undefined &&
      k !== 'connection' &&
      k !== 'keep-alive' &&
      k !== 'transfer-encoding' &&
      k !== 'content-length'
    )
      out[k] = v;
  }
  return reply.code(r.statusCode).headers(out).send(r.body);
});
await bare.listen({ host: '127.0.0.1', port: 0 });
const barePort = (bare.server.address() as AddressInfo).port;

const key = generateApiKey();
async function startGateway() {
  // The public URL must be known before the gateway listens: take a free port.
  const probe = createServer();
  const gwPort = await listen(probe);
  await new Promise<void>((r) => probe.close(() => r()));
  const app = await buildGateway(
    {
      publicUrl: `http://127.0.0.1:${gwPort}`,
      auth: {
        providers: {
          keys: {
            type: 'apiKey',
            keys: [
              {
                keyId: parseApiKey(key)!.keyId,
                hash: hashApiKey(key),
                userId: 'bench',
                scopes: [],
              },
            ],
          },
        },
      },
      trust: { jwks: [jwksPath] },
      upstreams: { bench: { url: upstreamUrl, mode: 'enforce', providers: ['com.bench'] } },
    },
    // Silent, and saying so (isLevelEnabled): no log line is built, as with pino above its level.
    { logger: silentLogger },
  );
  await app.listen({ host: '127.0.0.1', port: gwPort });
  return { app, url: `http://127.0.0.1:${gwPort}/servers/bench/mcp` };
}

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
const CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'tool_7', arguments: { path: '/x' } },
});
const headers = (withKey: boolean) => ({
  'content-type': 'application/json',
  accept: ACCEPT,
  'mcp-protocol-version': '2025-06-18',
  ...(withKey ? { 'x-api-key': key } : {}),
});

async function once(
  url: string,
  body: string,
  withKey: boolean,
): Promise<{ ms: number; text: string }> {
  const start = performance.now();
  const response = await fetch(url, { method: 'POST', headers: headers(withKey), body });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${url}: HTTP ${response.status}: ${text.slice(0, 200)}`);
  return { ms: performance.now() - start, text };
}

/** Median latency of `count` requests one after the other on one keep-alive connection (ms). */
async function sequentialP50(
  url: string,
  body: string,
  withKey: boolean,
  count = 200,
): Promise<number> {
  const target = new URL(url);
  const client = new Client(target.origin);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const r = await client.request({
      path: target.pathname,
      method: 'POST',
      headers: headers(withKey),
      body,
    });
    await r.body.arrayBuffer();
    if (r.statusCode !== 200) throw new Error(`${url}: HTTP ${r.statusCode}`);
    times.push(performance.now() - start);
  }
  await client.close();
  return median(times);
}

function cannon(url: string, body: string, withKey: boolean, connections: number) {
  return autocannon({
    url,
    method: 'POST',
    headers: headers(withKey),
    body,
    connections,
    duration: ROUND_SECONDS,
  });
}

// Cold: a new gateway's first tools/list (100 signatures), vs one direct request.
const coldGateway: number[] = [];
const coldDirect: number[] = [];
for (let i = 0; i < COLD_RUNS; i++) {
  coldDirect.push((await once(upstreamUrl, LIST, false)).ms);
  const gw = await startGateway();
  const first = await once(gw.url, LIST, true);
  if (!first.text.includes('tool_99'))
    throw new Error('the gateway did not serve the signed tools');
  coldGateway.push(first.ms);
  await gw.app.close();
}

const gw = await startGateway();
await once(gw.url, LIST, true); // verifies once; the rest is cached

const listDirect: number[] = [];
const listGateway: number[] = [];
const callBare: number[] = [];
const callGateway: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  listDirect.push(await sequentialP50(upstreamUrl, LIST, false));
  listGateway.push(await sequentialP50(gw.url, LIST, true));
  const b = await cannon(`http://127.0.0.1:${barePort}/mcp`, CALL, false, CONNECTIONS);
  const g = await cannon(gw.url, CALL, true, CONNECTIONS);
  if (g.non2xx > 0 || b.non2xx > 0)
    throw new Error(`non-2xx answers: gateway ${g.non2xx}, bare ${b.non2xx}`);
  callBare.push(b.requests.average);
  callGateway.push(g.requests.average);
}

const row = (name: string, value: string) => console.log(`  ${name.padEnd(58)} ${value}`);
console.log('\ntools/list, 100 signed tools, one connection (median latency)');
row('direct, cold (one request)', `${median(coldDirect).toFixed(2)} ms`);
row('gateway, cold (a new gateway: verify 100 tools)', `${median(coldGateway).toFixed(2)} ms`);
row('direct, p50', `${median(listDirect).toFixed(3)} ms`);
row('gateway, cached, p50', `${median(listGateway).toFixed(3)} ms`);
goal(
  'cached tools/list p50, gateway / direct',
  median(listGateway) / median(listDirect),
  1.3,
  false,
);
console.log(`\ntools/call throughput, ${CONNECTIONS} connections (median requests/s)`);
row('bare undici keep-alive proxy', `${median(callBare).toFixed(0)} req/s`);
row(
  'gateway (API key, session-less, guard check, scopes)',
  `${median(callGateway).toFixed(0)} req/s`,
);
goal('tools/call throughput, gateway / bare proxy', median(callGateway) / median(callBare), 0.8);

await gw.app.close();
await pool.close();
await bare.close();
child.kill('SIGTERM');
