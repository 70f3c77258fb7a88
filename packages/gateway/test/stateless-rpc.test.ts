/**
 * UpstreamRpc, the gateway as an MCP client of its upstreams, against real SDK servers: `auto`
 * tells a session-based server from a stateless one with one `server/discover`, one upstream
 * session is held per principal (and ended with DELETE when idle or over the cap), a session
 * the upstream forgot is opened again, and a stateless upstream gets the envelope and headers.
 */
import { silentLogger } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../src/config/validate-config.js';
import { UpstreamRpc, type UpstreamRpcOptions } from '../src/stateless/upstream-rpc.js';
import { HttpUpstream } from '../src/upstream/http-upstream.js';
import { UpstreamCredentials } from '../src/upstream/upstream-headers.js';
import type { Upstream } from '../src/upstream/upstream.js';
import { tool } from './guard/support/fixtures.js';
import { startUpstream, type TestUpstream } from './support/upstream.js';
import { startV2Upstream, type V2Upstream } from './support/v2-upstream.js';

describe('UpstreamRpc', () => {
  let v1: TestUpstream;
  let v2: V2Upstream;
  let transports: Map<string, Upstream>;
  const rpcs: UpstreamRpc[] = [];

  beforeAll(async () => {
    v1 = await startUpstream([tool('a')]);
    v2 = await startV2Upstream([tool('b')]);
    const config = validateGatewayConfig(
      {
        publicUrl: 'http://127.0.0.1:8080',
        auth: {},
        trust: { jwks: [] },
        upstreams: {
          v1: { url: v1.url.href, providers: [] },
          v2: { url: v2.url.href, providers: [] },
        },
      },
      { env: {} },
    );
    transports = new Map(
      [...config.upstreams.values()].map((u) => [
        u.name,
        new HttpUpstream({ config: u, credentials: new UpstreamCredentials(u, undefined, []) }),
      ]),
    );
  });
  afterAll(async () => {
    for (const rpc of rpcs) await rpc.close();
    for (const t of transports?.values() ?? []) await t.close();
    await v1?.close();
    await v2?.close();
  });

  function rpc(options: Partial<UpstreamRpcOptions> = {}): UpstreamRpc {
    const made = new UpstreamRpc({
      upstreams: transports,
      protocols: new Map(),
      logger: silentLogger,
      maxResponseBytes: 1 << 20,
      maxEventBytes: 1 << 20,
      ...options,
    });
    rpcs.push(made);
    return made;
  }

  const count = (seen: { body: string; method: string }[], what: string) =>
    seen.filter((s) => (what === 'DELETE' ? s.method === 'DELETE' : s.body.includes(what))).length;

  it('tells the eras apart with one server/discover under auto', async () => {
    const client = rpc();
    expect(await client.era('v1')).toBe('session');
    expect(await client.era('v2')).toBe('stateless');
    expect(await client.era('v1')).toBe('session');
    expect(count(v1.seen, '"server/discover"')).toBe(1);
    const described = await client.describe('v2', 'p');
    expect(described).toMatchObject({ era: 'stateless', protocolVersion: '2026-07-28' });
    expect(described.serverInfo).toEqual({ name: 'etdi-test-v2-upstream', version: '2.0.0' });
  });

  it('puts the 2026-07-28 envelope and headers on requests to a stateless upstream', async () => {
    const answer = await rpc().request('v2', 'p', {
      method: 'tools/call',
      params: { name: 'b', arguments: {} },
    });
    expect(answer.result).toMatchObject({
      content: [{ type: 'text', text: 'called b' }],
      resultType: 'complete',
    });
    const seen = v2.seen.at(-1)!;
    expect(seen.headers).toMatchObject({
      'mcp-method': 'tools/call',
      'mcp-name': 'b',
      'mcp-protocol-version': '2026-07-28',
    });
    expect(JSON.parse(seen.body).params._meta['io.modelcontextprotocol/protocolVersion']).toBe(
      '2026-07-28',
    );
  });

  it('holds one upstream session per principal, and ends the oldest over the cap', async () => {
    const client = rpc({ protocols: new Map([['v1', 'session']]), maxSessions: 1 });
    const inits = count(v1.seen, '"initialize"');
    const deletes = count(v1.seen, 'DELETE');
    await client.request('v1', 'alice', { method: 'tools/list' });
    await client.request('v1', 'alice', { method: 'tools/list' });
    expect(count(v1.seen, '"initialize"') - inits).toBe(1);
    await client.request('v1', 'bob', { method: 'tools/list' });
    expect(count(v1.seen, '"initialize"') - inits).toBe(2);
    await expect.poll(() => count(v1.seen, 'DELETE') - deletes, { timeout: 10_000 }).toBe(1);
  });

  it('ends idle sessions, and opens a new one when the upstream forgot its session', async () => {
    const client = rpc({ protocols: new Map([['v1', 'session']]), sessionIdleMs: 0 });
    const deletes = count(v1.seen, 'DELETE');
    await client.request('v1', 'carol', { method: 'tools/list' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await client.request('v1', 'dave', { method: 'tools/list' });
    await expect.poll(() => count(v1.seen, 'DELETE') - deletes, { timeout: 10_000 }).toBe(1);
    // A session the upstream no longer knows (404): opened again, the request answered.
    const again = rpc({ protocols: new Map([['v1', 'session']]) });
    await again.request('v1', 'erin', { method: 'tools/list' });
    const sid = v1.seen.at(-1)!.headers['mcp-session-id'] as string;
    await fetch(v1.url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    });
    const inits = count(v1.seen, '"initialize"');
    const answer = await again.request('v1', 'erin', { method: 'tools/list' });
    expect(answer.result?.tools).toEqual([tool('a')]);
    expect(count(v1.seen, '"initialize"') - inits).toBe(1);
  });
});
