// A real MCP server for the gateway benchmark: the official SDK's McpServer over its
// StreamableHTTPServerTransport (session-based, the SDK's default SSE responses), in a process of
// its own so its CPU does not compete with the proxies measured. It registers 100 tools with zod
// schemas like the synthetic upstream's, lists them through an in-memory client, signs each
// definition exactly as McpServer lists it, and puts the signature into the tool's `_meta`: its
// tools/list answers carry the signatures in band. Usage:
//   node --conditions=@etdi/source --import tsx sdk-upstream-process.ts PRIVATE.jwk.json ISS OUT.json
// → writes the signed tools it serves to OUT.json, then prints the port on stdout.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signatureOf, signTool, type PrivateJwk, type Tool } from '@etdi/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const privateJwk = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as PrivateJwk;
const iss = process.argv[3]!;
const listPath = process.argv[4]!;

/** The 100 tools of the synthetic upstream, as an SDK server author writes them. */
function register(server: McpServer): Map<string, RegisteredTool> {
  const tools = new Map<string, RegisteredTool>();
  for (let i = 0; i < 100; i++) {
    const name = `tool_${i}`;
    const tool = server.registerTool(
      name,
      {
        description: `Tool number ${i}: ${'does something useful with files and records. '.repeat(6)}`,
        inputSchema: {
          path: z.string().describe('where'),
          limit: z.number().int().min(1).max(1000).optional(),
          mode: z.enum(['read', 'write', 'append']).optional(),
        },
      },
      () => ({ content: [{ type: 'text', text: 'called' }] }),
    );
    tools.set(name, tool);
  }
  return tools;
}

/** The tools a server lists, as a client receives them (a JSON round trip: undefined drops out). */
async function listTools(server: McpServer): Promise<Tool[]> {
  const client = new Client({ name: 'etdi-bench-lister', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(a), client.connect(b)]);
  const { tools } = JSON.parse(JSON.stringify(await client.listTools())) as { tools: Tool[] };
  await client.close();
  await server.close();
  return tools;
}

/** The signatures, by tool name: the definitions as McpServer lists them, signed once. */
async function signatures(): Promise<Map<string, string>> {
  const server = new McpServer({ name: 'etdi-bench-sdk', version: '1.0.0' });
  register(server);
  const out = new Map<string, string>();
  for (const tool of await listTools(server)) {
    const signed = await signTool(tool, { key: privateJwk, iss, ver: '1.0.0' });
    out.set(tool.name, signatureOf(signed) as string);
  }
  return out;
}

const signed = await signatures();

/** One McpServer per session, as the SDK's session-based examples do. */
function newServer(): McpServer {
  const server = new McpServer(
    { name: 'etdi-bench-sdk', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true } } },
  );
  for (const [name, tool] of register(server)) {
    tool.update({ _meta: { 'io.etdi/signature': signed.get(name)! } });
  }
  return server;
}

// What it serves, signatures included, for the synthetic upstream to serve the same tools.
writeFileSync(listPath, JSON.stringify(await listTools(newServer())));

const sessions = new Map<string, StreamableHTTPServerTransport>();
const http = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const body: unknown = text === '' ? undefined : JSON.parse(text);
  const sid = req.headers['mcp-session-id'];
  let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
  if (!transport) {
    if (sid !== undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32001, message: 'Session not found' },
        }),
      );
      return;
    }
    const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, created),
    });
    created.onclose = () => {
      if (created.sessionId) sessions.delete(created.sessionId);
    };
    await newServer().connect(created);
    transport = created;
  }
  await transport.handleRequest(req, res, body);
});
http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(http.address() as AddressInfo).port}\n`);
});
// The benchmark holds this process's stdin open: when it ends (even by a crash), so does this.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => {
  for (const t of sessions.values()) void t.close();
  http.closeAllConnections();
  http.close(() => process.exit(0));
});
