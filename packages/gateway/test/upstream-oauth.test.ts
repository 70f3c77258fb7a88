/**
 * The gateway's own upstream credentials: a token from @etdi/oauth (a real token endpoint), a
 * fresh one once when the upstream answers 401, 502 when even that is refused; the caller's
 * token never reaches the upstream.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DropToolGuard } from './support/drop-guard.js';
import { apiKeyAuth, caller, startGateway, type RunningGateway } from './support/gateway.js';
import { startTokenServer, type TestTokenServer } from './support/token-server.js';
import { startUpstream, type TestUpstream } from './support/upstream.js';

const alice = caller('alice');
const TOOLS = [{ name: 'read', inputSchema: { type: 'object' } }];

describe('upstream OAuth', () => {
  let tokens: TestTokenServer;
  let upstream: TestUpstream;
  let refusing: TestUpstream;
  let gateway: RunningGateway;
  /** The token the upstream currently accepts: rotating it makes the cached one stale. */
  let accepted = 'upstream-token-1';

  beforeAll(async () => {
    tokens = await startTokenServer('gateway', 'gateway-secret');
    upstream = await startUpstream(TOOLS, { accepts: (a) => a === `Bearer ${accepted}` });
    refusing = await startUpstream(TOOLS, { accepts: () => false });
    const oauth = {
      grantType: 'client_credentials',
      tokenUrl: tokens.tokenUrl,
      clientId: 'gateway',
      clientSecret: '${env:GATEWAY_CLIENT_SECRET}',
      allowLoopbackHttp: true,
    };
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice),
        trust: {},
        upstreams: {
          files: { url: upstream.url.href, providers: ['com.test'], oauth },
          refusing: { url: refusing.url.href, providers: ['com.test'], oauth },
        },
      },
      { guard: new DropToolGuard('none'), env: { GATEWAY_CLIENT_SECRET: 'gateway-secret' } },
    );
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
    await refusing.close();
    await tokens.close();
  });

  const connect = async (name: string) => {
    const client = new Client({ name: 'oauth-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(gateway.mcpUrl(name), {
        requestInit: { headers: { authorization: `Bearer ${alice.key}`, 'x-api-key': alice.key } },
      }),
    );
    return client;
  };

  it("sends the gateway's token, never the caller's", async () => {
    const client = await connect('files');
    await client.listTools();
    await client.close();
    expect(upstream.seen.length).toBeGreaterThan(0);
    for (const r of upstream.seen) expect(r.headers.authorization).toBe('Bearer upstream-token-1');
    expect(tokens.issued).toEqual(['upstream-token-1']);
  });

  it('gets a fresh token once when the upstream refuses the cached one', async () => {
    accepted = 'upstream-token-2';
    const client = await connect('files');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['read']);
    await client.close();
    expect(tokens.issued).toEqual(['upstream-token-1', 'upstream-token-2']);
    const auths = upstream.seen.map((r) => r.headers.authorization);
    expect(auths).toContain('Bearer upstream-token-1');
    expect(auths.at(-1)).toBe('Bearer upstream-token-2');
  });

  it('answers 502 upstream-unauthorized when the upstream refuses a fresh token too', async () => {
    const response = await fetch(gateway.mcpUrl('refusing'), {
      method: 'POST',
      headers: {
        'x-api-key': alice.key,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      }),
    });
    expect(response.status).toBe(502);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.json()).toMatchObject({
      id: 1,
      error: { code: -32000, data: { reason: 'upstream-unauthorized' } },
    });
    expect(refusing.seen).toHaveLength(2);
  });
});
