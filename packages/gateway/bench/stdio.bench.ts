// stdio upstreams: the gateway in front of a real stdio MCP server
// (`@modelcontextprotocol/server-everything`, stdio mode, from node_modules) against the MCP SDK
// client talking to that same server directly over stdio, side by side in one run
// (interleaved rounds, medians, ratios). It prints numbers; it asserts nothing about time.
//
// - tools/call (`echo`), one call at a time: direct stdio (SDK client + StdioClientTransport)
//   vs through the gateway (SDK client over Streamable HTTP with an API key; the gateway checks
//   the call against the verified tool and forwards it to the session's child), with
//   `isolation: session` and `isolation: shared`.
// - Start-up per session: a new SDK client connecting (initialize) directly, which spawns the
//   server, vs through the gateway, which spawns the session's child and replays the handshake.
import { generateApiKey, hashApiKey, parseApiKey } from '@etdi/auth';
import {
  buildTrustJwks,
  generateKeyPair,
  importSigningKey,
  silentLogger,
  signTool,
  type Tool,
} from '@etdi/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { compare } from '../../../bench/harness.js';
import { buildGateway } from '../src/build-gateway.js';

const ROUNDS = 5;
const CALLS = 40;
const STARTS = 5;

const SERVER = {
  command: process.execPath,
  args: [
    fileURLToPath(
      new URL(
        '../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
        import.meta.url,
      ),
    ),
    'stdio',
  ],
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function directClient(): Promise<Client> {
  const client = new Client({ name: 'bench-direct', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ ...SERVER, stderr: 'ignore' }));
  return client;
}

// The reviewed tool list, signed: the gateway serves and checks attested tools, as in use.
const reviewer = await directClient();
const { tools } = await reviewer.listTools();
await reviewer.close();
const pair = await generateKeyPair('EdDSA', { iss: 'com.bench' });
const key = await importSigningKey(pair.privateJwk);
const signed = await Promise.all(
  tools.map((t) => signTool(t as unknown as Tool, { key, ver: '1.0.0' })),
);
const dir = mkdtempSync(join(tmpdir(), 'etdi-stdio-bench-'));
writeFileSync(
  join(dir, 'trust.jwks.json'),
  JSON.stringify(await buildTrustJwks([{ jwk: pair.publicJwk, iss: 'com.bench' }])),
);
writeFileSync(join(dir, 'signed.tools.json'), JSON.stringify({ tools: signed }));

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

// The public URL must name the port before the gateway listens (Host checks).
const port = await freePort();

const apiKey = generateApiKey();
const upstream = { ...SERVER, mode: 'enforce', providers: ['com.bench'] };
const app = await buildGateway(
  {
    listen: { host: '127.0.0.1', port },
    publicUrl: `http://127.0.0.1:${port}`,
    logLevel: 'silent',
    auth: {
      providers: {
        keys: {
          type: 'apiKey',
          keys: [{ keyId: parseApiKey(apiKey)!.keyId, hash: hashApiKey(apiKey), userId: 'bench' }],
        },
      },
    },
    trust: { jwks: ['trust.jwks.json'], signedTools: ['signed.tools.json'] },
    upstreams: {
      session: upstream,
      shared: { ...upstream, isolation: 'shared' },
    },
  },
  { baseDir: dir, logger: silentLogger },
);
await app.listen({ host: '127.0.0.1', port });

async function gatewayClient(name: string): Promise<Client> {
  const client = new Client({ name: 'bench-gateway', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(
    new URL(`http://127.0.0.1:${port}/servers/${name}/mcp`),
    { requestInit: { headers: { 'x-api-key': apiKey } } },
  );
  await client.connect(transport);
  await client.listTools();
  return client;
}

// For scale: the same server's own Streamable HTTP mode, the SDK client talking to it directly.
// What separates it from direct stdio is the HTTP transport; what separates the gateway from
// it is the gateway.
const httpPort = await freePort();
const httpServer = spawn(process.execPath, [SERVER.args[0]!, 'streamableHttp'], {
  env: { PATH: process.env.PATH ?? '', PORT: String(httpPort) },
  stdio: ['ignore', 'ignore', 'pipe'],
});
// Its stdin is not ours, so it would outlive a benchmark that fails half-way: stop it on exit.
process.once('exit', () => httpServer.kill('SIGKILL'));
await new Promise<void>((resolve, reject) => {
  let log = '';
  httpServer.stderr!.on('data', (c: Buffer) => {
    log += c.toString('utf8');
    if (log.includes('listening on port')) resolve();
  });
  httpServer.once('exit', (code) => reject(new Error(`server-everything exited with ${code}`)));
});
const overHttp = new Client({ name: 'bench-http', version: '1.0.0' });
await overHttp.connect(
  new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${httpPort}/mcp`)),
);

const direct = await directClient();
const throughSession = await gatewayClient('session');
const throughShared = await gatewayClient('shared');
// Without the SDK client's own cost (fetch, schema validation): raw requests on a keep-alive
// undici pool, one session.
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
const rawHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'x-api-key': apiKey,
};
const rawPath = '/servers/session/mcp';
const opened = await pool.request({
  path: rawPath,
  method: 'POST',
  headers: rawHeaders,
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'bench-raw', version: '1' },
    },
  }),
});
await opened.body.text();
const rawSession = {
  ...rawHeaders,
  'mcp-session-id': String(opened.headers['mcp-session-id']),
  'mcp-protocol-version': '2025-06-18',
};
for (const body of [
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
]) {
  const r = await pool.request({
    path: rawPath,
    method: 'POST',
    headers: rawSession,
    body: JSON.stringify(body),
  });
  await r.body.text();
}
const rawCall = JSON.stringify({
  jsonrpc: '2.0',
  id: 3,
  method: 'tools/call',
  params: { name: 'echo', arguments: { message: 'bench' } },
});
const rawEcho = async () => {
  const r = await pool.request({
    path: rawPath,
    method: 'POST',
    headers: rawSession,
    body: rawCall,
  });
  await r.body.text();
};

const echo = (client: Client) => () =>
  client.callTool({ name: 'echo', arguments: { message: 'bench' } });

const calls = await compare(
  'tools/call (echo), one at a time: direct stdio vs through the gateway',
  [
    { name: 'SDK client → stdio server (direct)', fn: echo(direct) },
    { name: 'SDK client → same server over Streamable HTTP (direct)', fn: echo(overHttp) },
    { name: 'SDK client → gateway → stdio child (isolation: session)', fn: echo(throughSession) },
    { name: 'SDK client → gateway → stdio child (isolation: shared)', fn: echo(throughShared) },
    { name: 'raw undici → gateway → stdio child (isolation: session)', fn: rawEcho },
  ],
  { calls: CALLS, rounds: ROUNDS, warmup: 10 },
);

// Start-up per session: connect (initialize) and close, interleaved, medians.
const startDirect: number[] = [];
const startGateway: number[] = [];
for (let i = 0; i < STARTS; i++) {
  let t = performance.now();
  const a = await directClient();
  startDirect.push(performance.now() - t);
  await a.close();
  t = performance.now();
  const client = new Client({ name: 'bench-start', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(
    new URL(`http://127.0.0.1:${port}/servers/session/mcp`),
    { requestInit: { headers: { 'x-api-key': apiKey } } },
  );
  await client.connect(transport);
  startGateway.push(performance.now() - t);
  await transport.terminateSession();
  await client.close();
}
const d = median(startDirect);
const g = median(startGateway);
console.log('\nchild start-up per session (spawn + initialize), median of', STARTS);
console.log(`  direct (SDK StdioClientTransport)          ${d.toFixed(0).padStart(6)} ms`);
console.log(`  through the gateway (isolation: session)   ${g.toFixed(0).padStart(6)} ms`);
console.log(`  ratio gateway / direct                     ${(g / d).toFixed(2).padStart(6)}x`);
console.log(
  `\ntools/call through the gateway at ${calls[2]!.ratio.toFixed(2)}x (session) and ` +
    `${calls[3]!.ratio.toFixed(2)}x (shared) of direct stdio throughput; ` +
    `${(calls[2]!.opsPerSec / calls[1]!.opsPerSec).toFixed(2)}x of the same server over ` +
    'Streamable HTTP without the gateway',
);

await Promise.all([
  direct.close(),
  overHttp.close(),
  throughSession.close(),
  throughShared.close(),
]);
httpServer.kill('SIGTERM');
await pool.close();
await app.close();
rmSync(dir, { recursive: true, force: true });
