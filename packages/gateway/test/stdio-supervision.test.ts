/**
 * How the gateway runs stdio children: one shared child answering several sessions without
 * mixing their answers, progress streamed as SSE, the child's own notifications on the GET
 * stream, a child that never answers `initialize` killed, a command that cannot start
 * reported, idle children stopped and started again when their session comes back.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createParser } from 'eventsource-parser';
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
import { initializeBody, startGateway, type RunningGateway } from './support/gateway.js';
import { alive, EVERYTHING, until } from './support/stdio-servers.js';

const CRASH_SERVER = {
  command: process.execPath,
  args: [fileURLToPath(new URL('./support/crash-server.mjs', import.meta.url))],
};

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

describe('supervising stdio children', () => {
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };
  const clients: Client[] = [];
  const logger = captureLogger();

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
    const report = { mode: 'report', providers: ['com.acme'] };
    gateway = await startGateway(
      {
        auth: { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
        trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
        upstreams: {
          everything: { ...EVERYTHING, ...report },
          shared: { ...EVERYTHING, isolation: 'shared', ...report },
          // Reads nothing, answers nothing: never initializes.
          silent: {
            command: process.execPath,
            args: ['-e', 'setInterval(() => {}, 1000)'],
            initializeTimeout: '2s',
            ...report,
          },
          missing: { command: `${dir.dir}/no-such-server`, ...report },
          idle: { ...EVERYTHING, idleTimeout: '1s', ...report },
          one: { ...EVERYTHING, maxProcesses: 1, ...report },
          crashy: { ...CRASH_SERVER, ...report },
          slow: { ...CRASH_SERVER, timeout: '5s', ...report },
        },
      },
      { logger },
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await gateway?.close();
    await dir?.cleanup();
  });

  async function connect(upstream: string): Promise<Client> {
    const client = new Client({ name: 'supervision-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(gateway.mcpUrl(upstream)));
    clients.push(client);
    return client;
  }

  function upstream(name: string): StdioUpstream {
    return gateway.app.etdiGateway!.upstreams.get(name) as StdioUpstream;
  }

  function text(result: unknown): string {
    return JSON.stringify((result as { content?: unknown }).content);
  }

  it('isolation shared: one child answers every session, each with its own answers', async () => {
    const [a, b] = await Promise.all([connect('shared'), connect('shared')]);
    // Both SDK clients number their requests alike: the gateway must not cross the answers.
    const calls = Array.from({ length: 6 }, (_, i) => {
      const client = i % 2 === 0 ? a : b;
      const message = `${i % 2 === 0 ? 'a' : 'b'}-${i}`;
      return client
        .callTool({ name: 'echo', arguments: { message } })
        .then((r) => ({ message, text: text(r) }));
    });
    for (const { message, text: answer } of await Promise.all(calls)) {
      expect(answer).toBe(JSON.stringify([{ type: 'text', text: `Echo: ${message}` }]));
    }
    expect(upstream('shared').pids().length).toBe(1);
  });

  it('streams progress as SSE when the client asks for it, then the result', async () => {
    const client = await connect('everything');
    const progress: number[] = [];
    const result = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(progress).toEqual([1, 2, 3]);
    expect(text(result)).toContain('Long running operation completed');
  });

  it("delivers the child's own notifications on the session's GET stream", async () => {
    const client = await connect('everything');
    const messages: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params.data);
    });
    await client.setLoggingLevel('debug');
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await until(() => messages.length > 0, 'a logging notification');
    expect(String(messages[0])).toMatch(/message/);
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
  });

  it("carries the child's own request to the client (sampling) and the client's answer back", async () => {
    const client = new Client(
      { name: 'sampling-test', version: '1.0.0' },
      { capabilities: { sampling: {} } },
    );
    const asked: unknown[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      asked.push(request.params.messages[0]?.content);
      return {
        model: 'test-model',
        role: 'assistant',
        content: { type: 'text', text: 'sampled by the client' },
      };
    });
    await client.connect(new StreamableHTTPClientTransport(gateway.mcpUrl('everything')));
    clients.push(client);
    const { tools } = await client.listTools();
    // The server offers this tool only to clients that can sample: the client's own
    // capabilities reached the child.
    expect(tools.map((t) => t.name)).toContain('trigger-sampling-request');
    const result = await client.callTool({
      name: 'trigger-sampling-request',
      arguments: { prompt: 'a question for the client' },
    });
    expect(JSON.stringify(asked)).toContain('a question for the client');
    expect(text(result)).toContain('sampled by the client');
  });

  it("without a GET stream, puts the child's request on the POST's SSE answer", async () => {
    const init = await fetch(gateway.mcpUrl('everything'), {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: { sampling: {} },
          clientInfo: { name: 'raw-sampler', version: '1' },
        },
      }),
    });
    await init.text();
    const headers = {
      ...HEADERS,
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': '2025-06-18',
    };
    const post = (body: object) =>
      fetch(gateway.mcpUrl('everything'), { method: 'POST', headers, body: JSON.stringify(body) });
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    const call = await post({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'trigger-sampling-request', arguments: { prompt: 'raw' } },
    });
    expect(call.headers.get('content-type')).toContain('text/event-stream');
    const events: { id?: unknown; method?: string; result?: unknown }[] = [];
    const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data)) });
    const reader = call.body!.pipeThrough(new TextDecoderStream()).getReader();
    const next = async () => {
      const start = events.length;
      while (events.length === start) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended early');
        parser.feed(value);
      }
      return events[start]!;
    };
    const asked = await next();
    expect(asked.method).toBe('sampling/createMessage');
    const answered = await post({
      jsonrpc: '2.0',
      id: asked.id,
      result: {
        model: 'raw-model',
        role: 'assistant',
        content: { type: 'text', text: 'sampled by a raw client' },
      },
    });
    expect(answered.status).toBe(202);
    const result = await next();
    expect(result.id).toBe(3);
    expect(JSON.stringify(result.result)).toContain('sampled by a raw client');
  });

  it('kills a child that does not answer initialize in time: 504, no session', async () => {
    const response = await fetch(gateway.mcpUrl('silent'), {
      method: 'POST',
      headers: HEADERS,
      body: initializeBody(7),
    });
    expect(response.status).toBe(504);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(await response.json()).toMatchObject({
      id: 7,
      error: { data: { reason: 'upstream-timeout' } },
    });
    expect(upstream('silent').pids()).toEqual([]);
    expect(
      logger.lines.some(
        (l) => l.fields.upstream === 'silent' && /did not answer initialize/.test(l.message),
      ),
    ).toBe(true);
  });

  it('reports a command that cannot start: 502 with the reason, no session', async () => {
    const response = await fetch(gateway.mcpUrl('missing'), {
      method: 'POST',
      headers: HEADERS,
      body: initializeBody(8),
    });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { message: string; data: unknown } };
    expect(body.error.data).toEqual({ reason: 'upstream-unavailable' });
    expect(body.error.message).toMatch(/could not be started \(ENOENT\)/);
  });

  it('stops an idle child and starts it again when its session comes back', async () => {
    const init = await fetch(gateway.mcpUrl('idle'), {
      method: 'POST',
      headers: HEADERS,
      body: initializeBody(),
    });
    expect(init.status).toBe(200);
    await init.text();
    const session = init.headers.get('mcp-session-id')!;
    // Read from the log, not pids(): on a loaded machine the child may be stopped already.
    const started = () =>
      logger.lines
        .filter((l) => l.fields.upstream === 'idle' && l.message === 'stdio upstream started')
        .map((l) => l.fields.pid as number);
    const [first] = started();
    expect(first).toBeDefined();
    await until(() => !alive(first!) && upstream('idle').pids().length === 0, 'the idle stop');
    expect(
      logger.lines.some((l) => l.fields.upstream === 'idle' && /idle: stopped/.test(l.message)),
    ).toBe(true);
    const list = await fetch(gateway.mcpUrl('idle'), {
      method: 'POST',
      headers: { ...HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { result: { tools: unknown[] } };
    expect(body.result.tools.length).toBeGreaterThan(0);
    const second = started()[1];
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });

  it('holds maxProcesses against concurrent initializes: one starts, the others get 503', async () => {
    const answers = await Promise.all(
      [1, 2, 3].map((id) =>
        fetch(gateway.mcpUrl('one'), {
          method: 'POST',
          headers: HEADERS,
          body: initializeBody(id),
        }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 503, 503]);
    for (const r of answers) await r.text();
    expect(upstream('one').pids().length).toBe(1);
    const session = answers.find((r) => r.status === 200)!.headers.get('mcp-session-id')!;
    const deleted = await fetch(gateway.mcpUrl('one'), {
      method: 'DELETE',
      headers: { 'mcp-session-id': session },
    });
    expect(deleted.status).toBe(200);
    expect(upstream('one').pids()).toEqual([]);
  });

  it('restarts a crashing child with doubling delays; calls in flight get 502', async () => {
    const client = await connect('crashy');
    await client.listTools();
    for (let crash = 0; crash < 3; crash++) {
      const crashed = client.callTool({ name: 'crash', arguments: {} });
      // The SDK's error for an HTTP error status: `code` is the status.
      await expect(crashed).rejects.toMatchObject({ code: 502 });
      await expect(crashed).rejects.toThrow(/exited with code 3/);
      const pong = await until(
        () => client.callTool({ name: 'ping', arguments: {} }).catch(() => undefined),
        'the restarted child to answer',
      );
      expect(text(pong)).toContain('pong');
    }
    const delays = logger.lines
      .filter((l) => l.fields.upstream === 'crashy' && l.fields.restartInMs !== undefined)
      .map((l) => l.fields.restartInMs);
    expect(delays).toEqual([250, 500, 1000]);
    expect(
      logger.lines.filter(
        (l) => l.fields.upstream === 'crashy' && l.message === 'stdio upstream exited with code 3',
      ),
    ).toHaveLength(3);
  });

  it('refuses a body that is no JSON-RPC message before the child sees it (400)', async () => {
    const init = await fetch(gateway.mcpUrl('everything'), {
      method: 'POST',
      headers: HEADERS,
      body: initializeBody(),
    });
    await init.text();
    const session = init.headers.get('mcp-session-id')!;
    for (const body of [{ id: 5 }, { jsonrpc: '1.0', id: 5, method: 'ping' }, { jsonrpc: '2.0' }]) {
      const response = await fetch(gateway.mcpUrl('everything'), {
        method: 'POST',
        headers: { ...HEADERS, 'mcp-session-id': session },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: -32600 } });
    }
    const ping = await fetch(gateway.mcpUrl('everything'), {
      method: 'POST',
      headers: { ...HEADERS, 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'ping' }),
    });
    expect(await ping.json()).toEqual({ jsonrpc: '2.0', id: 6, result: {} });
  });

  it('answers 504 for a call the child does not answer in time; the session carries on', async () => {
    const client = await connect('slow');
    await client.listTools();
    const hung = client.callTool({ name: 'hang', arguments: {} });
    await expect(hung).rejects.toMatchObject({ code: 504 });
    await expect(hung).rejects.toThrow(/did not answer in time/);
    const pong = await client.callTool({ name: 'ping', arguments: {} });
    expect(text(pong)).toContain('pong');
    expect(upstream('slow').pids()).toHaveLength(1);
  });
});
