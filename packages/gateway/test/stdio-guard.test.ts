/**
 * A stdio upstream goes through the same request path as an HTTP one: API-key callers, the
 * signed `perms` of an attested tool against the caller's scopes (403 insufficient_scope),
 * sessions bound to the principal that opened them, and the gateway's own upstream token
 * (from a real token endpoint) put in the child's environment by @etdi/oauth, never the
 * caller's credentials, never in the log.
 */
import type { Tool } from '@etdi/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogger,
  provider,
  sign,
  tempDir,
  trustJwks,
  writeJson,
} from './guard/support/fixtures.js';
import {
  apiKeyAuth,
  caller,
  initializeBody,
  startGateway,
  type RunningGateway,
} from './support/gateway.js';
import { EVERYTHING, filesystem, rawStdioToolList, until } from './support/stdio-servers.js';
import { startTokenServer, type TestTokenServer } from './support/token-server.js';

const alice = caller('alice', ['files:read']);
const bob = caller('bob');
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

describe('a stdio upstream on the gateway request path', () => {
  let gateway: RunningGateway;
  let tokens: TestTokenServer;
  let dir: { dir: string; cleanup: () => Promise<void> };
  let files: string;
  const clients: Client[] = [];
  const logger = captureLogger();

  beforeAll(async () => {
    dir = await tempDir();
    files = `${dir.dir}/files`;
    await mkdir(files);
    await writeFile(`${files}/notes.txt`, 'for callers with files:read\n');
    const acme = await provider('com.acme');
    const reviewed = await rawStdioToolList(filesystem(files));
    const signed = await Promise.all(
      reviewed.map((t) =>
        sign(t as unknown as Tool, acme, {
          perms: t.name === 'read_text_file' ? ['files:read'] : [],
        }),
      ),
    );
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(acme));
    await writeJson(`${dir.dir}/files.tools.json`, { tools: signed });
    tokens = await startTokenServer('gateway', 'gateway-secret');
    const oauth = {
      grantType: 'client_credentials',
      tokenUrl: tokens.tokenUrl,
      clientId: 'gateway',
      clientSecret: '${env:GATEWAY_CLIENT_SECRET}',
      allowLoopbackHttp: true,
    };
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice, bob),
        trust: {
          jwks: [`${dir.dir}/trust.jwks.json`],
          signedTools: [`${dir.dir}/files.tools.json`],
        },
        upstreams: {
          files: { ...filesystem(files), mode: 'enforce', providers: ['com.acme'] },
          everything: { ...EVERYTHING, mode: 'report', providers: ['com.acme'], oauth },
          // Prints its token to stderr and exits before it initializes.
          leaky: {
            command: process.execPath,
            args: [
              '-e',
              'console.error("token=" + process.env.OAUTH_ACCESS_TOKEN); process.exit(1)',
            ],
            mode: 'report',
            providers: ['com.acme'],
            oauth,
          },
        },
      },
      { logger, env: { GATEWAY_CLIENT_SECRET: 'gateway-secret' } },
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await gateway?.close();
    await tokens?.close();
    await dir?.cleanup();
  });

  async function connect(upstream: string, key: string): Promise<Client> {
    const client = new Client({ name: 'stdio-guard-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(gateway.mcpUrl(upstream), {
        requestInit: { headers: { 'x-api-key': key } },
      }),
    );
    clients.push(client);
    return client;
  }

  function initialize(upstream: string, key: string) {
    return fetch(gateway.mcpUrl(upstream), {
      method: 'POST',
      headers: { ...HEADERS, 'x-api-key': key },
      body: initializeBody(),
    });
  }

  /** initialize + tools/list with raw requests; returns the session id. */
  async function openSession(upstream: string, key: string): Promise<string> {
    const init = await initialize(upstream, key);
    expect(init.status).toBe(200);
    await init.text();
    const session = init.headers.get('mcp-session-id')!;
    const list = await post(upstream, key, session, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/list',
    });
    expect(list.status).toBe(200);
    await list.text();
    return session;
  }

  function post(upstream: string, key: string, session: string, body: object) {
    return fetch(gateway.mcpUrl(upstream), {
      method: 'POST',
      headers: {
        ...HEADERS,
        'x-api-key': key,
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify(body),
    });
  }

  const readNotes = () => ({
    jsonrpc: '2.0',
    id: 3,
    method: 'tools/call',
    params: { name: 'read_text_file', arguments: { path: `${files}/notes.txt` } },
  });

  it('lets a caller with the scope of the signed perms call the tool', async () => {
    const client = await connect('files', alice.key);
    await client.listTools();
    const result = await client.callTool({
      name: 'read_text_file',
      arguments: { path: `${files}/notes.txt` },
    });
    expect(JSON.stringify(result.content)).toContain('for callers with files:read');
  });

  it('refuses a caller without that scope with 403 insufficient_scope', async () => {
    const session = await openSession('files', bob.key);
    const response = await post('files', bob.key, session, readNotes());
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="files:read"');
    expect(await response.json()).toMatchObject({
      id: 3,
      error: { data: { reason: 'insufficient-scope', missing: ['files:read'] } },
    });
  });

  it("refuses another caller presenting a session's id (404); the owner carries on", async () => {
    const session = await openSession('files', alice.key);
    const hijack = await post('files', bob.key, session, readNotes());
    expect(hijack.status).toBe(404);
    const own = await post('files', alice.key, session, readNotes());
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('for callers with files:read');
  });

  it("gives the child the gateway's upstream token, not the caller's key", async () => {
    const client = await connect('everything', alice.key);
    await client.listTools();
    const result = await client.callTool({ name: 'get-env', arguments: {} });
    const text = (result.content as { text: string }[])[0]!.text;
    const env = JSON.parse(text) as Record<string, string>;
    expect(env.OAUTH_ACCESS_TOKEN).toBe(tokens.issued[0]);
    expect(text).not.toContain(alice.key);
    expect(env.GATEWAY_CLIENT_SECRET).toBeUndefined();
  });

  it('never logs the token, even when the child prints it to stderr', async () => {
    const response = await initialize('leaky', alice.key);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      error: { message: 'stdio upstream "leaky" exited with code 1' },
    });
    const stderr = await until(
      () => logger.lines.find((l) => l.fields.upstream === 'leaky' && l.fields.stderr),
      'the stderr line in the log',
    );
    expect(stderr.fields.stderr).toBe('token=[redacted]');
    const everything = JSON.stringify(logger.lines);
    for (const token of tokens.issued) expect(everything).not.toContain(token);
  });
});
