/**
 * `isolation: shared` between callers who must not see each other: the one child's
 * notifications that carry a caller's data (logging, resources/updated) reach no other session,
 * only list_changed goes to everyone; the sessions a shared upstream keeps are capped per caller
 * (the caller's own least recently used one ends) and in all (503 with Retry-After). Real API-key
 * callers over real sockets, a real stdio MCP server as the child.
 */
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
import { apiKeyAuth, caller, startGateway, type RunningGateway } from './support/gateway.js';
import { alive, until } from './support/stdio-servers.js';

const LEAKY = {
  command: process.execPath,
  args: [fileURLToPath(new URL('./support/leaky-server.mjs', import.meta.url))],
};
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};
const VERSION = '2025-11-25';
const report = { mode: 'report', providers: ['com.acme'] };

const alice = caller('alice');
const bob = caller('bob');
const carol = caller('carol');

/** Raw Streamable HTTP against one gateway route, as a given caller. */
function peer(url: () => URL, key: string) {
  return {
    async initialize(): Promise<Response> {
      return fetch(url(), {
        method: 'POST',
        headers: { ...HEADERS, 'x-api-key': key },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: VERSION,
            capabilities: {},
            clientInfo: { name: 't', version: '1' },
          },
        }),
      });
    },
    async session(): Promise<string> {
      const r = await this.initialize();
      expect(r.status).toBe(200);
      await r.text();
      return r.headers.get('mcp-session-id')!;
    },
    post(session: string, body: object, signal?: AbortSignal): Promise<Response> {
      return fetch(url(), {
        method: 'POST',
        headers: {
          ...HEADERS,
          'x-api-key': key,
          'mcp-session-id': session,
          'mcp-protocol-version': VERSION,
        },
        body: JSON.stringify({ jsonrpc: '2.0', ...body }),
        ...(signal ? { signal } : {}),
      });
    },
    end(session: string): Promise<Response> {
      return fetch(url(), {
        method: 'DELETE',
        headers: { 'x-api-key': key, 'mcp-session-id': session, 'mcp-protocol-version': VERSION },
      });
    },
    stream(session: string, signal: AbortSignal): Promise<Response> {
      return fetch(url(), {
        headers: {
          accept: 'text/event-stream',
          'x-api-key': key,
          'mcp-session-id': session,
          'mcp-protocol-version': VERSION,
        },
        signal,
      });
    },
  };
}

/** Reads an SSE body until `until` appears; returns all it read. */
async function readUntil(response: Response, marker: string): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  while (!seen.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}

describe('isolation: shared between callers', () => {
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };
  const as = (c: { key: string }, upstream: string) => peer(() => gateway.mcpUrl(upstream), c.key);

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice, bob, carol),
        trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
        upstreams: {
          leaky: { ...LEAKY, isolation: 'shared', ...report },
          capped: {
            ...LEAKY,
            isolation: 'shared',
            maxSessions: 4,
            maxSessionsPerPrincipal: 2,
            timeout: '60s',
            ...report,
          },
        },
      },
      { logger: captureLogger() },
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await dir?.cleanup();
  });

  it("forwards the child's list_changed to every session, never one caller's log or resource update", async () => {
    const a = as(alice, 'leaky');
    const b = as(bob, 'leaky');
    const aliceSession = await a.session();
    const bobSession = await b.session();
    const abort = new AbortController();
    const stream = await b.stream(bobSession, abort.signal);
    expect(stream.status).toBe(200);
    await (await a.post(aliceSession, { id: 2, method: 'tools/list' })).text();
    const call = await a.post(aliceSession, {
      id: 3,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: 'alice-ssn-123-45-6789' } },
    });
    expect(await call.text()).toContain('Echo: alice-ssn-123-45-6789');
    // The child wrote the log and the resource update before list_changed, in that order on
    // one pipe: had they been forwarded, they would be on bob's stream before it.
    const seen = await readUntil(stream, 'notifications/tools/list_changed');
    abort.abort();
    expect(seen).toContain('notifications/tools/list_changed');
    expect(seen).not.toContain('alice-ssn');
    expect(seen).not.toContain('notifications/message');
    expect(seen).not.toContain('notifications/resources/updated');
  });

  it('a caller past maxSessionsPerPrincipal with every session busy gets 503 max-sessions-per-principal', async () => {
    const a = as(alice, 'capped');
    const sessions = [await a.session(), await a.session()];
    for (const s of sessions) await (await a.post(s, { id: 2, method: 'tools/list' })).text();
    const abort = new AbortController();
    // With a progress token the child reports progress first: the SSE answer starts, so the
    // call is in flight when the answer's headers are here.
    for (const s of sessions) {
      const hanging = await a.post(
        s,
        {
          id: 3,
          method: 'tools/call',
          params: { name: 'hang', arguments: {}, _meta: { progressToken: 'p' } },
        },
        abort.signal,
      );
      expect(hanging.headers.get('content-type')).toContain('text/event-stream');
    }
    const refused = await a.initialize();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({
      error: { code: -32000, data: { reason: 'max-sessions-per-principal' } },
    });
    abort.abort();
    for (const s of sessions) expect((await a.end(s)).status).toBe(200);
  });

  it("past maxSessionsPerPrincipal a caller's own least recently used session ends, never another's; past maxSessions 503", async () => {
    const a = as(alice, 'capped');
    const b = as(bob, 'capped');
    const first = await a.session();
    const second = await a.session();
    const bobs = await b.session();
    await (await a.post(second, { id: 2, method: 'ping' })).text();
    const third = await a.session();
    const gone = await a.post(first, { id: 3, method: 'ping' });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: -32001 } });
    for (const [p, s] of [
      [a, second],
      [a, third],
      [b, bobs],
    ] as const) {
      const pong = await p.post(s, { id: 4, method: 'ping' });
      expect(pong.status).toBe(200);
      expect(await pong.json()).toMatchObject({ result: {} });
    }
    await b.session();
    const refused = await as(carol, 'capped').initialize();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({
      error: { code: -32000, data: { reason: 'max-sessions' } },
    });
  });
});

describe('a stdio session whose binding is gone', () => {
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice),
        trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
        sessions: { ttl: '2s' },
        upstreams: { leaky: { ...LEAKY, ...report } },
      },
      { logger: captureLogger() },
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await dir?.cleanup();
  });

  it('is forgotten and its child stopped when it comes back after the binding expired', async () => {
    const a = peer(() => gateway.mcpUrl('leaky'), alice.key);
    const session = await a.session();
    const upstream = gateway.app.etdiGateway!.upstreams.get('leaky') as StdioUpstream;
    const [pid] = upstream.pids();
    expect(pid).toBeDefined();
    // Untouched for longer than sessions.ttl (a request would start the TTL again).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const gone = await a.post(session, { id: 2, method: 'ping' });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: -32001 } });
    await until(() => !alive(pid!), 'the child to stop');
    expect(upstream.pids()).toEqual([]);
  });
});
