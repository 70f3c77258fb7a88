/**
 * Bad input of every kind, from callers and from upstreams: the right JSON-RPC / HTTP error,
 * nothing half-sent upstream, no crash, and no tool the guard did not see.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DropToolGuard } from './support/drop-guard.js';
import {
  apiKeyAuth,
  caller,
  freePort,
  startGateway,
  type RunningGateway,
} from './support/gateway.js';
import { startUpstream, type TestUpstream } from './support/upstream.js';

const alice = caller('alice', []);
const TOOLS = [
  { name: 'ok', inputSchema: { type: 'object' } },
  { name: 'evil', inputSchema: { type: 'object' } },
];
const ACCEPT = 'application/json, text/event-stream';

/** A raw HTTP upstream whose answers the test writes by hand. */
async function rawUpstream(
  handler: (body: string, res: ServerResponse) => void,
): Promise<{ url: string; server: Server; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    bodies.push(body);
    handler(body, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server, bodies };
}

function post(
  gateway: RunningGateway,
  upstream: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  return fetch(gateway.mcpUrl(upstream), {
    method: 'POST',
    headers: {
      'x-api-key': alice.key,
      'content-type': 'application/json',
      accept: ACCEPT,
      ...headers,
    },
    body,
  });
}

const list = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' });

describe('bad input', () => {
  let sdk: TestUpstream;
  let garbage: Awaited<ReturnType<typeof rawUpstream>>;
  let disguised: Awaited<ReturnType<typeof rawUpstream>>;
  let hanging: Awaited<ReturnType<typeof rawUpstream>>;
  let guard: DropToolGuard;
  let gateway: RunningGateway;

  beforeAll(async () => {
    sdk = await startUpstream(TOOLS, { json: true });
    garbage = await rawUpstream((_body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // A complete event, its data over two CRLF lines: verified by the guard.
      res.write(
        'id: 1\r\ndata: {"jsonrpc":"2.0","id":1,\r\ndata: "result":{"tools":[{"name":"ok"},',
      );
      res.write('{"name":"evil"}]}}\r\n\r\n');
      // Then garbage and an event that never ends: nothing of it goes out.
      res.write('data: {"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"evil"');
      res.write('\r\n\0\0garbage: yes\n:comment\nretry: x\n\xff\xfe\n');
      res.end('data: {"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"evil"}]}}');
    });
    // A hostile upstream that answers a tools/call with a tool list spelled with escapes.
    disguised = await rawUpstream((_body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        '{"jsonrpc":"2.0","id":7,"result":{"\\u0074ools":[{"name":"evil","inputSchema":{"type":"object"}}]}}',
      );
    });
    hanging = await rawUpstream(() => {});
    const downPort = await freePort();
    guard = new DropToolGuard('evil');
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice),
        trust: {},
        limits: { maxRequestBytes: 64 * 1024 },
        upstreams: {
          files: { url: sdk.url.href, providers: ['com.test'] },
          garbage: { url: garbage.url, providers: ['com.test'] },
          disguised: { url: disguised.url, providers: ['com.test'] },
          hanging: { url: hanging.url, timeout: '1s', providers: ['com.test'] },
          down: { url: `http://127.0.0.1:${downPort}/mcp`, providers: ['com.test'] },
        },
      },
      { guard },
    );
  });
  afterAll(async () => {
    await gateway.close();
    await sdk.close();
    for (const u of [garbage, disguised, hanging]) {
      u.server.closeAllConnections();
      u.server.close();
    }
  });

  it('answers malformed JSON with 400 and -32700; the upstream sees nothing', async () => {
    const before = sdk.seen.length;
    const response = await post(gateway, 'files', '{"jsonrpc":"2.0",');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ id: null, error: { code: -32700 } });
    expect(sdk.seen.length).toBe(before);
  });

  it('answers a JSON-RPC batch with 400 and -32600', async () => {
    const response = await post(gateway, 'files', `[${list(1)},${list(2)}]`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32600 } });
  });

  it('answers a non-object message and an empty body with 400', async () => {
    expect((await post(gateway, 'files', '"tools/list"')).status).toBe(400);
    expect((await post(gateway, 'files', '')).status).toBe(400);
  });

  it('refuses a member name given twice (a tools/call naming two tools) with -32600', async () => {
    const before = sdk.seen.length;
    const response = await post(
      gateway,
      'files',
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"ok","name":"evil"}}',
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ id: 3, error: { code: -32600 } });
    expect(sdk.seen.length).toBe(before);
  });

  it('answers an oversized body with 413 and sends none of it upstream', async () => {
    const before = sdk.seen.length;
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'ok', arguments: { x: 'a'.repeat(200_000) } },
    });
    const response = await post(gateway, 'files', huge);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: -32600 } });
    expect(sdk.seen.length).toBe(before);
  });

  it('refuses tools/call without a tool name as -32602 unknown-tool', async () => {
    const response = await post(
      gateway,
      'files',
      JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: {} }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: 5,
      error: { code: -32602, data: { reason: 'unknown-tool' } },
    });
  });

  it('passes unknown methods and a missing session through to the upstream, which answers', async () => {
    const before = sdk.seen.length;
    const response = await post(
      gateway,
      'files',
      JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'vendor/unknown' }),
    );
    expect(response.status).toBe(400); // the SDK server wants a session (or initialize) first
    expect(sdk.seen.length).toBe(before + 1);
  });

  it('passes a wrong MCP-Protocol-Version to the upstream, whose 400 the caller gets', async () => {
    const init = await post(
      gateway,
      'files',
      JSON.stringify({
        jsonrpc: '2.0',
        id: 11,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      }),
    );
    const session = init.headers.get('mcp-session-id')!;
    await init.text();
    const wrong = await post(gateway, 'files', list(12), {
      'mcp-session-id': session,
      'mcp-protocol-version': '1999-01-01',
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: -32000 } });
    const right = await post(gateway, 'files', list(13), {
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(right.status).toBe(200);
    expect(sdk.seen.at(-2)?.headers['mcp-protocol-version']).toBe('1999-01-01');
  });

  it('answers an unknown session id with 404 without asking the upstream', async () => {
    const before = sdk.seen.length;
    const response = await post(gateway, 'files', list(8), { 'mcp-session-id': 'no-such-session' });
    expect(response.status).toBe(404);
    expect(sdk.seen.length).toBe(before);
  });

  it('never lets a tool out of garbage SSE unverified', async () => {
    const response = await post(gateway, 'garbage', list(1));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"name":"ok"');
    expect(text).not.toContain('evil');
  });

  it('hands a tool list spelled with escapes to the guard, whatever the request was', async () => {
    const response = await post(
      gateway,
      'disguised',
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
    );
    const body = (await response.json()) as { result: { tools: unknown[] } };
    expect(body.result.tools).toEqual([]);
  });

  it('answers 504 when the upstream hangs, 502 when it is down; the gateway stays up', async () => {
    const hung = await post(gateway, 'hanging', list(9));
    expect(hung.status).toBe(504);
    expect(await hung.json()).toMatchObject({
      id: 9,
      error: { code: -32000, data: { reason: 'upstream-timeout' } },
    });
    const down = await post(gateway, 'down', list(10));
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({
      id: 10,
      error: { code: -32000, data: { reason: 'upstream-unavailable' } },
    });
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);
  });
});
