/**
 * A stdio upstream behind the gateway's other front doors: the `/mcp` aggregate endpoint and a
 * stateless (2026-07-28) SDK v2 client. Both reach the child through the same `Upstream.send`
 * (the gateway holds a session of its own with the child), and both see only the verified
 * (attested) tools, under the same reason codes as the per-upstream route.
 */
import type { Tool } from '@etdi/core';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provider, sign, tempDir, trustJwks, writeJson } from './guard/support/fixtures.js';
import { apiKeyAuth, caller, startGateway, type RunningGateway } from './support/gateway.js';
import { EVERYTHING, rawStdioToolList } from './support/stdio-servers.js';

const alice = caller('alice');
const MODERN = '2026-07-28';

describe('a stdio upstream through /mcp and through a stateless client', () => {
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };
  let reviewed: string[];
  const clients: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    const acme = await provider('com.acme');
    const listed = await rawStdioToolList(EVERYTHING);
    // Every reviewed tool but `echo` is attested: `echo` stays unsigned, so it must be dropped.
    const signed = await Promise.all(
      listed.filter((t) => t.name !== 'echo').map((t) => sign(t as unknown as Tool, acme)),
    );
    reviewed = signed.map((t) => t.name);
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(acme));
    await writeJson(`${dir.dir}/everything.tools.json`, { tools: signed });
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice),
        trust: {
          jwks: [`${dir.dir}/trust.jwks.json`],
          signedTools: [`${dir.dir}/everything.tools.json`],
        },
        upstreams: { everything: { ...EVERYTHING, mode: 'enforce', providers: ['com.acme'] } },
      },
      {},
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await gateway?.close();
    await dir?.cleanup();
  });

  it('lists the attested tools on /mcp, prefixed, and routes a call to the child', async () => {
    const client = new Client({ name: 'stdio-aggregate', version: '1.0.0' });
    clients.push(client);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.origin}/mcp`), {
        requestInit: { headers: { 'x-api-key': alice.key } },
      }),
    );
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.sort()).toEqual(reviewed.map((n) => `everything__${n}`).sort());
    expect(names).not.toContain('everything__echo');
    const sum = await client.callTool({
      name: 'everything__get-sum',
      arguments: { a: 1000, b: 337 },
    });
    expect(JSON.stringify(sum.content)).toContain('1337');
    const refused = await client
      .callTool({ name: 'everything__echo', arguments: { message: 'hi' } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: -32602, data: { reason: 'unsigned' } });
  }, 60_000);

  it('serves a stateless 2026-07-28 client from the session-based child', async () => {
    const client = new ClientV2(
      { name: 'stdio-stateless', version: '2.0.0' },
      { versionNegotiation: { mode: { pin: MODERN } } },
    );
    clients.push(client);
    await client.connect(
      new TransportV2(gateway.mcpUrl('everything'), {
        requestInit: { headers: { 'x-api-key': alice.key } },
      }),
    );
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.sort()).toEqual([...reviewed].sort());
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 20, b: 22 } });
    expect(JSON.stringify(sum.content)).toContain('42');
    const refused = await client
      .callTool({ name: 'echo', arguments: { message: 'hi' } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: -32602, data: { reason: 'unsigned' } });
  }, 60_000);
});
