/**
 * stdio upstreams: `@modelcontextprotocol/server-everything` (stdio mode) and
 * `@modelcontextprotocol/server-filesystem`, unmodified, spawned by the gateway from
 * node_modules and driven by the official SDK 1.x client over Streamable HTTP through it. The
 * same guard path as HTTP upstreams: attested tools listed and callable, unsigned ones dropped
 * and their calls refused; children restarted after `kill -9`, capped by `maxProcesses`, given
 * only the environment they are allowed, and stopped with their session.
 */
import type { Tool } from '@etdi/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StdioUpstream } from '../src/upstream/stdio-upstream.js';
import {
  captureLogger,
  provider,
  sign,
  tempDir,
  trustJwks,
  writeJson,
} from './guard/support/fixtures.js';
import { startGateway, type RunningGateway } from './support/gateway.js';
import { alive, EVERYTHING, filesystem, rawStdioToolList, until } from './support/stdio-servers.js';

const SECRET_NAME = 'ETDI_STDIO_TEST_GATEWAY_SECRET';

describe('stdio upstreams behind the gateway', () => {
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };
  let files: string;
  let everythingSigned: Record<string, unknown>[];
  let filesSigned: Record<string, unknown>[];
  const clients: Client[] = [];
  const logger = captureLogger();

  beforeAll(async () => {
    dir = await tempDir();
    files = `${dir.dir}/files`;
    await mkdir(files);
    await writeFile(`${files}/hello.txt`, 'hello from a stdio upstream\n');
    const [everythingTools, filesTools] = await Promise.all([
      rawStdioToolList(EVERYTHING),
      rawStdioToolList(filesystem(files)),
    ]);
    const reviewed = await provider('org.example.reviewed');
    everythingSigned = await Promise.all(
      everythingTools.map((t) => sign(t as unknown as Tool, reviewed)),
    );
    filesSigned = await Promise.all(filesTools.map((t) => sign(t as unknown as Tool, reviewed)));
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(reviewed));
    await writeJson(`${dir.dir}/everything.tools.json`, { tools: everythingSigned });
    await writeJson(`${dir.dir}/files.tools.json`, { tools: filesSigned });
    // In the gateway's own environment: must not reach any child.
    process.env[SECRET_NAME] = 'gateway-only-value';
    gateway = await startGateway(
      {
        auth: { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
        trust: {
          jwks: [`${dir.dir}/trust.jwks.json`],
          signedTools: [`${dir.dir}/everything.tools.json`, `${dir.dir}/files.tools.json`],
        },
        upstreams: {
          everything: {
            ...EVERYTHING,
            env: { GIVEN_TO_CHILD: 'listed-value' },
            mode: 'enforce',
            providers: ['org.example.reviewed'],
          },
          unknown: { ...EVERYTHING, mode: 'enforce', providers: ['org.example.unknown'] },
          files: { ...filesystem(files), mode: 'enforce', providers: ['org.example.reviewed'] },
          capped: {
            ...EVERYTHING,
            maxProcesses: 1,
            mode: 'report',
            providers: ['org.example.unknown'],
          },
        },
      },
      { logger },
    );
  }, 120_000);

  afterAll(async () => {
    delete process.env[SECRET_NAME];
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await gateway?.close();
    await dir?.cleanup();
  });

  async function connect(
    upstream: string,
  ): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(gateway.mcpUrl(upstream));
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  }

  function upstream(name: string): StdioUpstream {
    return gateway.app.etdiGateway!.upstreams.get(name) as StdioUpstream;
  }

  function text(result: unknown): string {
    return JSON.stringify((result as { content?: unknown }).content);
  }

  describe('server-everything attested from signed copies', () => {
    it('lists every tool, served as its signed copy', async () => {
      const { client } = await connect('everything');
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(5);
      expect(tools).toEqual(everythingSigned);
      const decisions = logger.audit().filter((r) => r.upstream === 'everything');
      expect(decisions.length).toBe(tools.length);
      expect(new Set(decisions.map((r) => r.decision))).toEqual(new Set(['verified']));
    });

    it('calls a tool through the child', async () => {
      const { client } = await connect('everything');
      await client.listTools();
      const result = await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } });
      expect(text(result)).toContain('over stdio');
    });
  });

  describe('an upstream whose tools nobody allowed signed', () => {
    it('lists none of them (each audited unsigned) and refuses a call before the child', async () => {
      const { client } = await connect('unknown');
      const { tools } = await client.listTools();
      expect(tools).toEqual([]);
      const reasons = new Set(
        logger
          .audit()
          .filter((r) => r.upstream === 'unknown')
          .map((r) => r.reason),
      );
      expect(reasons).toEqual(new Set(['unsigned']));
      await expect(
        client.callTool({ name: 'echo', arguments: { message: 'x' } }),
      ).rejects.toMatchObject({ code: -32602, data: { reason: 'unsigned' } });
    });
  });

  describe('server-filesystem', () => {
    it('lists its attested tools and reads a file', async () => {
      const { client } = await connect('files');
      const { tools } = await client.listTools();
      expect(tools).toEqual(filesSigned);
      const result = await client.callTool({
        name: 'read_text_file',
        arguments: { path: `${files}/hello.txt` },
      });
      expect(text(result)).toContain('hello from a stdio upstream');
    });
  });

  describe('the child environment', () => {
    it('holds the listed variables and none of the gateway environment', async () => {
      const { client } = await connect('everything');
      await client.listTools();
      const result = await client.callTool({ name: 'get-env', arguments: {} });
      const env = JSON.parse((result.content as { text: string }[])[0]!.text) as Record<
        string,
        string
      >;
      expect(env.GIVEN_TO_CHILD).toBe('listed-value');
      expect(process.env[SECRET_NAME]).toBe('gateway-only-value');
      expect(env[SECRET_NAME]).toBeUndefined();
      const allowed = new Set(['PATH', 'HOME', 'LANG', 'GIVEN_TO_CHILD']);
      expect(Object.keys(env).filter((k) => !allowed.has(k))).toEqual([]);
    });
  });

  describe('supervision', () => {
    it('restarts a child killed with SIGKILL; the session carries on', async () => {
      const before = new Set(upstream('everything').pids());
      const { client } = await connect('everything');
      await client.listTools();
      await client.callTool({ name: 'echo', arguments: { message: 'first' } });
      // This session's child: the one that was not running before it connected.
      const mine = upstream('everything')
        .pids()
        .filter((p) => !before.has(p));
      expect(mine.length).toBe(1);
      const victim = mine[0]!;
      process.kill(victim, 'SIGKILL');
      await until(() => !alive(victim), 'the killed child to be gone');
      const result = await until(
        () =>
          client
            .callTool({ name: 'echo', arguments: { message: 'after restart' } })
            .catch(() => undefined),
        'a call to succeed after the restart',
      );
      expect(text(result)).toContain('after restart');
      const restarted = upstream('everything')
        .pids()
        .filter((p) => !before.has(p));
      expect(restarted).toHaveLength(1);
      expect(restarted[0]).not.toBe(victim);
      const metrics = await (await fetch(`${gateway.origin}/metrics`)).text();
      expect(metrics).toContain('etdi_gateway_stdio_exits_total{upstream="everything"} 1');
      expect(metrics).toMatch(/etdi_gateway_stdio_children\{upstream="everything"\} [1-9]/);
      expect(
        logger.lines.some(
          (l) => l.fields.upstream === 'everything' && /killed by SIGKILL/.test(l.message),
        ),
      ).toBe(true);
    });

    it('logs the child stderr line by line with the upstream name', () => {
      expect(
        logger.lines.some(
          (l) =>
            l.fields.upstream === 'files' &&
            typeof l.fields.stderr === 'string' &&
            l.fields.stderr.includes('Secure MCP Filesystem Server running on stdio'),
        ),
      ).toBe(true);
    });

    it('stops the child when the session is deleted', async () => {
      const { client, transport } = await connect('files');
      await client.listTools();
      const pids = upstream('files').pids();
      await transport.terminateSession();
      const after = upstream('files').pids();
      const gone = pids.filter((p) => !after.includes(p));
      expect(gone.length).toBe(1);
      await until(() => !alive(gone[0]!), 'the session child to exit');
    });
  });

  describe('maxProcesses', () => {
    // maxProcesses 1 makes the caller's quota (maxSessionsPerPrincipal) 1: a caller's new
    // session takes the child of its old one. 503 past the cap, between callers, is in
    // stdio-limits.test.ts.
    it("a caller's second session ends its first, whose child stops and whose id is 404", async () => {
      const first = await connect('capped');
      await first.client.listTools();
      const [pid] = upstream('capped').pids();
      expect(pid).toBeDefined();
      const second = await connect('capped');
      expect((await second.client.listTools()).tools.length).toBeGreaterThan(0);
      await until(() => !alive(pid!), 'the first session child to stop');
      expect(upstream('capped').pids().length).toBe(1);
      await expect(first.client.listTools()).rejects.toMatchObject({ code: 404 });
    });
  });
});
