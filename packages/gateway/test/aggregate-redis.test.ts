/**
 * Sessions the gateway issues itself (on /mcp, and to a session client of a stateless
 * upstream) live in the shared Redis like any session binding: two gateways act as one, and a
 * session stays refused to another principal on either node.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService, service, uniquePrefix } from '../../../testing/services.js';
import { DropToolGuard } from './support/drop-guard.js';
import { caller, startGateway, type RunningGateway } from './support/gateway.js';
import { INITIALIZE, postMcp } from './support/raw-mcp.js';
import { startUpstream, type TestUpstream } from './support/upstream.js';
import { startV2Upstream, type V2Upstream } from './support/v2-upstream.js';

const redisInfo = await service('redis');

describeWithService(redisInfo, 'gateway-issued sessions shared through Redis', () => {
  const prefix = uniquePrefix('gw-stateless');
  const alice = caller('alice');
  const bob = caller('bob');
  let files: TestUpstream;
  let notes: V2Upstream;
  let a: RunningGateway;
  let b: RunningGateway;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisInfo.url);
    files = await startUpstream([{ name: 'read', inputSchema: { type: 'object' } }]);
    notes = await startV2Upstream([{ name: 'note', inputSchema: { type: 'object' } }]);
    const document = {
      auth: { providers: { keys: { type: 'apiKey', keys: [alice.record, bob.record] } } },
      trust: {},
      sessions: { store: 'redis', redis: { url: redisInfo.url, prefix } },
      upstreams: {
        files: { url: files.url.href, providers: ['com.test'] },
        notes: { url: notes.url.href, providers: ['com.test'] },
      },
    };
    a = await startGateway(document, { guard: new DropToolGuard('none') });
    b = await startGateway(document, { guard: new DropToolGuard('none') });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await files?.close();
    await notes?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const post = async (url: URL, key: string, body: object, sessionId?: string) => {
    const answer = await postMcp(url, key, body, sessionId);
    return { ...answer, sessionId: answer.headers.get('mcp-session-id') ?? undefined };
  };
  const initialize = INITIALIZE;

  it('serves a /mcp session opened on one node from the other', async () => {
    const opened = await post(new URL(`${a.origin}/mcp`), alice.key, initialize);
    expect(opened.sessionId).toBeDefined();
    const listed = await post(
      new URL(`${b.origin}/mcp`),
      alice.key,
      { id: 2, method: 'tools/list' },
      opened.sessionId,
    );
    expect(listed.json?.result?.tools?.map((t) => t.name).sort()).toEqual([
      'files__read',
      'notes__note',
    ]);
    const hijack = await post(
      new URL(`${a.origin}/mcp`),
      bob.key,
      { id: 3, method: 'tools/list' },
      opened.sessionId,
    );
    expect(hijack.status).toBe(404);
  });

  it('serves a bridged session (session client, stateless upstream) from the other node', async () => {
    const opened = await post(a.mcpUrl('notes'), alice.key, initialize);
    expect(opened.sessionId).toBeDefined();
    const called = await post(
      b.mcpUrl('notes'),
      alice.key,
      { id: 2, method: 'tools/call', params: { name: 'note', arguments: {} } },
      opened.sessionId,
    );
    expect(called.json?.result?.content).toEqual([{ type: 'text', text: 'called note' }]);
    const hijack = await post(
      b.mcpUrl('notes'),
      bob.key,
      { id: 3, method: 'tools/list' },
      opened.sessionId,
    );
    expect(hijack.status).toBe(404);
    expect(notes.seen.some((s) => s.headers['x-api-key'] !== undefined)).toBe(false);
  });
});
