/**
 * The proxy half against a small real guard (drops one named tool): the official SDK client →
 * gateway → an SDK server, over real sockets. This is the seam test, not the security suite.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DropToolGuard } from './support/drop-guard.js';
import { apiKeyAuth, caller, startGateway, type RunningGateway } from './support/gateway.js';
import { startUpstream, type TestUpstream } from './support/upstream.js';

const TOOLS = ['read_file', 'write_file', 'evil'].map((name) => ({
  name,
  description: `${name} tool`,
  inputSchema: { type: 'object', properties: {} },
}));

const alice = caller('alice', ['files:read', 'files:write']);
const bob = caller('bob', ['files:read']);

async function connect(gateway: RunningGateway, key: string, upstream = 'files') {
  const client = new Client({ name: 'seam-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(gateway.mcpUrl(upstream), {
    requestInit: {
      headers: {
        'x-api-key': key,
        cookie: 'sid=caller-cookie',
        authorization: 'Bearer caller-token',
      },
    },
  });
  await client.connect(transport);
  return { client, transport };
}

for (const json of [false, true]) {
  describe(`the proxy with ${json ? 'JSON' : 'SSE'} upstream responses`, () => {
    let upstream: TestUpstream;
    let guard: DropToolGuard;
    let gateway: RunningGateway;

    beforeAll(async () => {
      upstream = await startUpstream(TOOLS, { json });
      guard = new DropToolGuard('evil', { write_file: ['files:write'] });
      gateway = await startGateway(
        {
          auth: apiKeyAuth(alice, bob),
          trust: {},
          upstreams: {
            files: {
              url: upstream.url.href,
              headers: { 'X-Upstream-Key': 'gateway-own-key' },
              providers: ['com.test'],
            },
          },
        },
        { guard },
      );
    });
    afterAll(async () => {
      await gateway.close();
      await upstream.close();
    });

    it('lists the tools the guard kept, and calls them', async () => {
      const { client } = await connect(gateway, alice.key);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['read_file', 'write_file']);
      const result = await client.callTool({ name: 'read_file', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: 'called read_file' }]);
      expect(guard.contexts.at(-1)).toMatchObject({ upstream: 'files', principal: 'alice' });
      expect(guard.contexts.at(-1)?.sessionId).toEqual(expect.any(String));
      await client.close();
    });

    it('refuses a call of a dropped tool with its reason, and the upstream never sees it', async () => {
      const { client } = await connect(gateway, alice.key);
      await client.listTools();
      const before = upstream.seen.length;
      const error = await client.callTool({ name: 'evil', arguments: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect(error).toMatchObject({ code: -32602, data: { reason: 'unsigned' } });
      expect(upstream.seen.slice(before).some((r) => r.body.includes('"evil"'))).toBe(false);
      await client.close();
    });

    it('answers 403 insufficient_scope when the caller lacks a tool permission', async () => {
      const { client, transport } = await connect(gateway, bob.key);
      await client.listTools();
      const response = await fetch(gateway.mcpUrl('files'), {
        method: 'POST',
        headers: {
          'x-api-key': bob.key,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': transport.sessionId!,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 9,
          method: 'tools/call',
          params: { name: 'write_file', arguments: {} },
        }),
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      expect(response.headers.get('www-authenticate')).toContain('scope="files:write"');
      expect(await response.json()).toMatchObject({
        id: 9,
        error: { data: { reason: 'insufficient-scope', missing: ['files:write'] } },
      });
      await client.close();
    });

    it("never passes the caller's credentials upstream, and sends the gateway's own headers", async () => {
      const { client } = await connect(gateway, alice.key);
      await client.listTools();
      await client.close();
      expect(upstream.seen.length).toBeGreaterThan(0);
      for (const request of upstream.seen) {
        expect(request.headers['x-api-key']).toBeUndefined();
        expect(request.headers.authorization).toBeUndefined();
        expect(request.headers.cookie).toBeUndefined();
        expect(request.headers['x-upstream-key']).toBe('gateway-own-key');
      }
    });

    it('refuses a session presented by another principal with 404; the upstream never sees it', async () => {
      const { client, transport } = await connect(gateway, alice.key);
      const before = upstream.seen.length;
      const response = await fetch(gateway.mcpUrl('files'), {
        method: 'POST',
        headers: {
          'x-api-key': bob.key,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': transport.sessionId!,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ id: 1, error: { code: -32001 } });
      expect(upstream.seen.length).toBe(before);
      await client.close();
    });

    it('passes a GET stream with Last-Event-ID and the protocol headers through', async () => {
      const { client, transport } = await connect(gateway, alice.key);
      const controller = new AbortController();
      const response = await fetch(gateway.mcpUrl('files'), {
        method: 'GET',
        signal: controller.signal,
        headers: {
          'x-api-key': alice.key,
          accept: 'text/event-stream',
          'mcp-session-id': transport.sessionId!,
          'mcp-protocol-version': '2025-06-18',
          'last-event-id': 'evt-41',
        },
      });
      const seen = upstream.seen.filter((r) => r.headers['last-event-id'] === 'evt-41');
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        method: 'GET',
        headers: { 'mcp-session-id': transport.sessionId, 'mcp-protocol-version': '2025-06-18' },
      });
      // The client holds the session's one standalone stream already: the upstream says so (409),
      // and its answer is what the caller gets.
      expect(response.status).toBe(409);
      controller.abort();
      await client.close();
    });

    it("hands the guard each page with its request's cursor", async () => {
      const { client, transport } = await connect(gateway, alice.key);
      const response = await fetch(gateway.mcpUrl('files'), {
        method: 'POST',
        headers: {
          'x-api-key': alice.key,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': transport.sessionId!,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 21,
          method: 'tools/list',
          params: { cursor: 'page-2' },
        }),
      });
      expect(response.status).toBe(200);
      await response.text();
      expect(guard.cursors.at(-1)).toBe('page-2');
      await client.close();
    });

    it('ends the session on DELETE: its id is refused afterwards', async () => {
      const { client, transport } = await connect(gateway, alice.key);
      const sessionId = transport.sessionId!;
      await transport.terminateSession();
      const response = await fetch(gateway.mcpUrl('files'), {
        method: 'POST',
        headers: {
          'x-api-key': alice.key,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      });
      expect(response.status).toBe(404);
      await client.close();
    });

    it('passes notifications/tools/list_changed on and tells the guard', async () => {
      const { client } = await connect(gateway, alice.key);
      const changed = new Promise<void>((resolve) =>
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
      );
      await client.listTools();
      // The GET stream carries server-initiated notifications; give the client time to open it.
      for (let i = 0; i < 50 && !upstream.seen.some((r) => r.method === 'GET'); i++)
        await new Promise((r) => setTimeout(r, 20));
      await upstream.notifyListChanged();
      await changed;
      expect(guard.changed).toContain('files');
      await client.close();
    });
  });
}

describe('authentication and origin checks', () => {
  let upstream: TestUpstream;
  let gateway: RunningGateway;
  beforeAll(async () => {
    upstream = await startUpstream(TOOLS);
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice),
        trust: {},
        upstreams: { files: { url: upstream.url.href, providers: ['com.test'] } },
      },
      { guard: new DropToolGuard('evil') },
    );
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const init = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    },
  };

  it('answers 401 with the route’s RFC 9728 metadata URL, and the metadata document names the resource', async () => {
    const response = await fetch(gateway.mcpUrl('files'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(init),
    });
    expect(response.status).toBe(401);
    const metadataUrl = `${gateway.origin}/.well-known/oauth-protected-resource/servers/files/mcp`;
    expect(response.headers.get('www-authenticate')).toContain(
      `resource_metadata="${metadataUrl}"`,
    );
    const metadata = await (await fetch(metadataUrl)).json();
    expect(metadata).toMatchObject({
      resource: `${gateway.origin}/servers/files/mcp`,
      bearer_methods_supported: ['header'],
    });
    expect(upstream.seen.length).toBe(0);
  });

  it('refuses a foreign Origin and a foreign Host with 403 (DNS rebinding)', async () => {
    const origin = await fetch(gateway.mcpUrl('files'), {
      method: 'POST',
      headers: {
        'x-api-key': alice.key,
        origin: 'http://evil.example',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(init),
    });
    expect(origin.status).toBe(403);
    const { request } = await import('undici');
    const host = await request(gateway.mcpUrl('files'), {
      method: 'POST',
      headers: {
        host: 'evil.example',
        'x-api-key': alice.key,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(init),
    });
    expect(host.statusCode).toBe(403);
    await host.body.dump();
    expect(upstream.seen.length).toBe(0);
  });

  it('serves health, readiness from the guard, and metrics without credentials', async () => {
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.origin}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${gateway.origin}/metrics`)).text();
    expect(metrics).toContain('etdi_gateway_requests_total');
  });
});
