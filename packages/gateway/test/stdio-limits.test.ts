/**
 * No caller holds a stdio upstream's children for itself or for ever: each caller has a quota of
 * sessions (`maxSessionsPerPrincipal`), so `maxProcesses` children are shared between callers,
 * and every session ends after `maxSessionLifetime`, even with its GET stream open. Real
 * API-key callers over real sockets, real stdio children.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StdioUpstream } from '../src/upstream/stdio-upstream.js';
import {
  captureLogger,
  provider,
  tempDir,
  trustJwks,
  writeJson,
} from './guard/support/fixtures.js';
import {
  apiKeyAuth,
  caller,
  initializeBody,
  startGateway,
  type RunningGateway,
} from './support/gateway.js';
import { alive, until } from './support/stdio-servers.js';

const LEAKY = {
  command: process.execPath,
  args: [fileURLToPath(new URL('./support/leaky-server.mjs', import.meta.url))],
};
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};
const report = { mode: 'report', providers: ['com.acme'] };

const alice = caller('alice');
const bob = caller('bob');
const carol = caller('carol');

/** A raw `initialize` of `key`'s caller on `upstreamName`'s route. */
function initializeOn(gateway: RunningGateway, upstreamName: string, key: string) {
  return fetch(gateway.mcpUrl(upstreamName), {
    method: 'POST',
    headers: { ...HEADERS, 'x-api-key': key },
    body: initializeBody(),
  });
}

/** A new session of `key`'s caller on `upstreamName`'s route; its id. */
async function sessionOn(gateway: RunningGateway, upstreamName: string, key: string) {
  const r = await initializeOn(gateway, upstreamName, key);
  expect(r.status).toBe(200);
  await r.text();
  return r.headers.get('mcp-session-id')!;
}

describe('stdio limits per caller', () => {
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice, bob, carol),
        trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
        upstreams: {
          pool: { ...LEAKY, maxProcesses: 2, maxSessionsPerPrincipal: 1, ...report },
          brief: { ...LEAKY, maxSessionLifetime: '2s', ...report },
        },
      },
      { logger: captureLogger() },
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await dir?.cleanup();
  });

  const upstream = (name: string) => gateway.app.etdiGateway!.upstreams.get(name) as StdioUpstream;

  const initialize = (upstreamName: string, key: string) =>
    initializeOn(gateway, upstreamName, key);
  const session = (upstreamName: string, key: string) => sessionOn(gateway, upstreamName, key);

  it('one caller cannot take every child: its sessions share its quota, others still get one', async () => {
    for (let i = 0; i < 3; i++) await session('pool', alice.key);
    await until(() => upstream('pool').pids().length === 1, "alice's older children to stop");
    await session('pool', bob.key);
    expect(upstream('pool').pids().length).toBe(2);
    // Two callers hold the two children: a third caller waits.
    const refused = await initialize('pool', carol.key);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({
      id: 1,
      error: { code: -32000, data: { reason: 'max-processes' } },
    });
  });

  it('ends a session after maxSessionLifetime even while its GET stream is open', async () => {
    const id = await session('brief', alice.key);
    const [pid] = upstream('brief').pids();
    expect(pid).toBeDefined();
    const headers = {
      'x-api-key': alice.key,
      'mcp-session-id': id,
      'mcp-protocol-version': '2025-06-18',
    };
    const stream = await fetch(gateway.mcpUrl('brief'), {
      headers: { ...headers, accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(200);
    // The stream ends when the session does.
    const reader = stream.body!.getReader();
    while (!(await reader.read()).done);
    await until(() => !alive(pid!), 'the child to stop');
    const after = await fetch(gateway.mcpUrl('brief'), {
      method: 'POST',
      headers: { ...HEADERS, ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({ error: { code: -32001 } });
  });
});

describe('stdio quotas count the sessions the gateway holds for a caller', () => {
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice),
        trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
        upstreams: {
          held: { ...LEAKY, maxProcesses: 4, maxSessionsPerPrincipal: 1, ...report },
        },
      },
      { logger: captureLogger() },
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await dir?.cleanup();
  });

  it("a session held for alice on /mcp is one of alice's, not a free extra child", async () => {
    const held = gateway.app.etdiGateway!.upstreams.get('held') as StdioUpstream;
    const client = new Client({ name: 'quota', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.origin}/mcp`), {
        requestInit: { headers: { 'x-api-key': alice.key } },
      }),
    );
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    expect(held.pids().length).toBe(1);
    // Alice's own session on the per-upstream route: her quota is one, so the idle session the
    // gateway held for her goes, instead of a second child.
    await sessionOn(gateway, 'held', alice.key);
    await until(() => held.pids().length === 1, "alice's held session to give way");
    expect(held.pids().length).toBe(1);
    await client.close();
  });
});
