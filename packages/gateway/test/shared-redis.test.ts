/**
 * Two gateways sharing one Redis act as one: a session opened through one is served by the
 * other and still refused to another principal; rate limits count across both.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService, service, uniquePrefix } from '../../../testing/services.js';
import { DropToolGuard } from './support/drop-guard.js';
import { caller, startGateway, type RunningGateway } from './support/gateway.js';
import { startUpstream, type TestUpstream } from './support/upstream.js';

const redisInfo = await service('redis');
const ACCEPT = 'application/json, text/event-stream';

describeWithService(redisInfo, 'two gateways sharing Redis', () => {
  const prefix = uniquePrefix('gw-shared');
  const alice = caller('alice');
  const bob = caller('bob');
  const carol = caller('carol', [], { rateLimits: { perDay: 4 } });
  let upstream: TestUpstream;
  let a: RunningGateway;
  let b: RunningGateway;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisInfo.url);
    upstream = await startUpstream([{ name: 'read', inputSchema: { type: 'object' } }]);
    const document = {
      auth: {
        redis: { url: redisInfo.url, prefix: `${prefix}auth:` },
        providers: {
          keys: {
            type: 'apiKey',
            store: 'redis',
            rateLimiter: 'redis',
            keys: [alice.record, bob.record, carol.record],
          },
        },
      },
      trust: {},
      sessions: { store: 'redis', redis: { url: redisInfo.url, prefix } },
      upstreams: { files: { url: upstream.url.href, providers: ['com.test'] } },
    };
    a = await startGateway(document, { guard: new DropToolGuard('none') });
    b = await startGateway(document, { guard: new DropToolGuard('none') });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await upstream?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const post = (gateway: RunningGateway, key: string, sessionId: string, id: number) =>
    fetch(gateway.mcpUrl('files'), {
      method: 'POST',
      headers: {
        'x-api-key': key,
        'content-type': 'application/json',
        accept: ACCEPT,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' }),
    });

  it('serves a session opened through one gateway on the other, and only to its principal', async () => {
    const client = new Client({ name: 'shared', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(a.mcpUrl('files'), {
      requestInit: { headers: { 'x-api-key': alice.key } },
    });
    await client.connect(transport);
    const sessionId = transport.sessionId!;
    expect(await redis.keys(`${prefix}session:*`)).toHaveLength(1);
    const onB = await post(b, alice.key, sessionId, 2);
    expect(onB.status).toBe(200);
    expect(await onB.text()).toContain('"read"');
    const hijack = await post(b, bob.key, sessionId, 3);
    expect(hijack.status).toBe(404);
    await client.close();
  });

  it('counts one rate limit across both gateways', async () => {
    // Carol's key allows 4 requests a day: 4 pass, alternating gateways; then both refuse.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const gateway = i % 2 === 0 ? a : b;
      const response = await fetch(gateway.mcpUrl('files'), {
        method: 'POST',
        headers: { 'x-api-key': carol.key, 'content-type': 'application/json', accept: ACCEPT },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' }),
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 4).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(4)).toEqual([429, 429]);
  });
});
