// The gateway against the upstream alone and against a bare proxy, side by side in one run
// (interleaved rounds, medians, ratios). autocannon on 127.0.0.1 only; every round is bounded in
// time and the benchmark stops by itself. It prints numbers; it asserts nothing about time.
//
// - tools/list of 100 signed tools, one connection: cold (a new gateway's first list: parse,
//   canonicalize, verify 100 signatures) and cached (bytes seen before), p50 latency through the
//   gateway vs the upstream directly, against two upstreams serving the same 100 signed tools:
//   a synthetic one answering from pre-encoded bytes in microseconds (the ratio is then the
//   gateway's own HTTP hop alone), and a real MCP server, the official SDK's McpServer over
//   Streamable HTTP (sessions, SSE responses, signatures in `_meta`). Goal: cached p50 ≤ 1.3x
//   direct, judged on the real server (see the line printed with the results).
// - tools/call throughput with API-key auth through the gateway vs a bare undici keep-alive
//   pass-through proxy to the same upstream. Goal: ≥ 0.8x.
//
// BENCH_DEBUG=1 writes the gateway's audit records (why a tool was dropped) to stderr;
// BENCH_COLD_RUNS=N changes the number of cold lists (default 5).
import { generateApiKey, hashApiKey, parseApiKey } from '@etdi/auth';
import { buildTrustJwks, createConsoleLogger, generateKeyPair, silentLogger } from '@etdi/core';
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
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
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

const pair = await generateKeyPair('EdDSA', { iss: 'com.bench' });
const dir = mkdtempSync(join(tmpdir(), 'etdi-gw-bench-'));
const jwksPath = join(dir, 'bench.jwks.json');
writeFileSync(
  jwksPath,
  JSON.stringify(await buildTrustJwks([{ jwk: pair.publicJwk, iss: 'com.bench' }])),
);

// The real MCP server, in a child process: the SDK's McpServer registers 100 tools about the size
// of real ones (zod schemas), signs each as it lists it, and serves them with their signatures.
const privateKeyPath = join(dir, 'bench.private.jwk.json');
writeFileSync(privateKeyPath, JSON.stringify(pair.privateJwk));
const toolsPath = join(dir, 'tools.json');
const sdkChild = spawn(
  process.execPath,
  [
    '--conditions=@etdi/source',
    '--import',
    'tsx',
    fileURLToPath(new URL('./support/sdk-upstream-process.ts', import.meta.url)),
    privateKeyPath,
    'com.bench',
    toolsPath,
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const [sdkPortLine] = (await onceEvent(sdkChild.stdout!, 'data')) as [Buffer];
const sdkUrl = `http://127.0.0.1:${Number(sdkPortLine.toString('utf8').trim())}/mcp`;

// The synthetic upstream, in a child process: a fast stateless MCP server answering the same
// signed tools (the SDK server's list) from pre-encoded bytes.
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    fileURLToPath(new URL('./support/upstream-process.ts', import.meta.url)),
    toolsPath,
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
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
      upstreams: {
        bench: { url: upstreamUrl, mode: 'enforce', providers: ['com.bench'] },
        sdk: { url: sdkUrl, mode: 'enforce', providers: ['com.bench'] },
      },
    },
    // Silent, and saying so (isLevelEnabled): no log line is built, as with pino above its level.
    { logger: process.env.BENCH_DEBUG ? createConsoleLogger({ level: 'info' }) : silentLogger },
  );
  await app.listen({ host: '127.0.0.1', port: gwPort });
  return {
    app,
    url: `http://127.0.0.1:${gwPort}/servers/bench/mcp`,
    sdkUrl: `http://127.0.0.1:${gwPort}/servers/sdk/mcp`,
  };
}

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
const CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'tool_7', arguments: { path: '/x' } },
});
const headers = (withKey: boolean, session?: string) => ({
  'content-type': 'application/json',
  accept: ACCEPT,
  'mcp-protocol-version': '2025-06-18',
  ...(withKey ? { 'x-api-key': key } : {}),
  ...(session === undefined ? {} : { 'mcp-session-id': session }),
});

/** Opens an MCP session (initialize, then notifications/initialized); resolves to its id. */
async function openSession(url: string, withKey: boolean): Promise<string> {
  const init = await fetch(url, {
    method: 'POST',
    headers: headers(withKey),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'etdi-bench', version: '1.0.0' },
      },
    }),
  });
  const text = await init.text();
  const session = init.headers.get('mcp-session-id');
  if (init.status !== 200 || !session)
    throw new Error(`${url}: initialize gave HTTP ${init.status}: ${text.slice(0, 200)}`);
  const done = await fetch(url, {
    method: 'POST',
    headers: headers(withKey, session),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await done.text();
  if (done.status !== 202) throw new Error(`${url}: notifications/initialized: ${done.status}`);
  return session;
}

async function once(
  url: string,
  body: string,
  withKey: boolean,
  session?: string,
): Promise<{ ms: number; text: string }> {
  const start = performance.now();
  const response = await fetch(url, { method: 'POST', headers: headers(withKey, session), body });
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
  session?: string,
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
      headers: headers(withKey, session),
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

// The real server: one session directly, one through the gateway (each on its own connection).
const sdkDirectSession = await openSession(sdkUrl, false);
const sdkGatewaySession = await openSession(gw.sdkUrl, true);
const sdkDirectFirst = await once(sdkUrl, LIST, false, sdkDirectSession);
const sdkGatewayFirst = await once(gw.sdkUrl, LIST, true, sdkGatewaySession);
for (const [what, text] of [
  ['directly', sdkDirectFirst.text],
  ['through the gateway', sdkGatewayFirst.text],
] as const) {
  if (!text.includes('tool_99') || !text.includes('io.etdi/signature'))
    throw new Error(
      `the SDK server's signed tools did not come back ${what}: ${text.slice(0, 600)}`,
    );
}
const sdkDirect: number[] = [];
const sdkGateway: number[] = [];

const listDirect: number[] = [];
const listGateway: number[] = [];
const callBare: number[] = [];
const callGateway: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  listDirect.push(await sequentialP50(upstreamUrl, LIST, false));
  listGateway.push(await sequentialP50(gw.url, LIST, true));
  sdkDirect.push(await sequentialP50(sdkUrl, LIST, false, sdkDirectSession));
  sdkGateway.push(await sequentialP50(gw.sdkUrl, LIST, true, sdkGatewaySession));
  const b = await cannon(`http://127.0.0.1:${barePort}/mcp`, CALL, false, CONNECTIONS);
  const g = await cannon(gw.url, CALL, true, CONNECTIONS);
  if (g.non2xx > 0 || b.non2xx > 0)
    throw new Error(`non-2xx answers: gateway ${g.non2xx}, bare ${b.non2xx}`);
  callBare.push(b.requests.average);
  callGateway.push(g.requests.average);
}

const row = (name: string, value: string) => console.log(`  ${name.padEnd(58)} ${value}`);
const syntheticRatio = median(listGateway) / median(listDirect);
const sdkRatio = median(sdkGateway) / median(sdkDirect);
console.log(
  '\ntools/list, 100 signed tools, one connection (median latency)\n' +
    '  [synthetic upstream: pre-encoded bytes, answers in microseconds, no sessions, JSON]',
);
row('direct, cold (one request)', `${median(coldDirect).toFixed(2)} ms`);
row('gateway, cold (a new gateway: verify 100 tools)', `${median(coldGateway).toFixed(2)} ms`);
row('direct, p50', `${median(listDirect).toFixed(3)} ms`);
row('gateway, cached, p50', `${median(listGateway).toFixed(3)} ms`);
row('ratio gateway / direct (the gateway hop alone)', `${syntheticRatio.toFixed(2)}x`);
console.log('  [real MCP server: SDK McpServer, Streamable HTTP, session, SSE, _meta signatures]');
row('direct, p50', `${median(sdkDirect).toFixed(3)} ms`);
row('gateway, cached, p50', `${median(sdkGateway).toFixed(3)} ms`);
row('ratio gateway / direct', `${sdkRatio.toFixed(2)}x`);
console.log(
  '  The goal is judged on the real MCP server: it is what a client puts the gateway in front of,\n' +
    '  so its ratio is the latency a user sees added. The synthetic ratio divides by an upstream\n' +
    "  that costs nothing; it tracks the gateway's own hop and is kept to catch regressions there.",
);
goal('cached tools/list p50, gateway / direct (real SDK McpServer)', sdkRatio, 1.3, false);
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
sdkChild.kill('SIGTERM');
