/**
 * A real MCP server (the official SDK's low-level `Server`) over Streamable HTTP on 127.0.0.1,
 * stateless or session-based, serving whatever tool list the test gives it, byte for byte as the
 * SDK sends it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

export interface TestMcpServer {
  readonly url: URL;
  /** Replaces the tools served from the next `tools/list` on. */
  setTools(tools: unknown[]): void;
  close(): Promise<void>;
}

export interface McpServerOptions {
  /**
   * Session-based Streamable HTTP (an `Mcp-Session-Id` per `initialize`, unknown ids 404)
   * instead of the stateless mode.
   */
  readonly sessions?: boolean;
}

export async function startMcpServer(
  initialTools: unknown[],
  options: McpServerOptions = {},
): Promise<TestMcpServer> {
  let tools = initialTools;
  const sdkServer = () => {
    const server = new Server(
      { name: 'etdi-test-server', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }) as never);
    server.setRequestHandler(CallToolRequestSchema, async (request) => ({
      content: [{ type: 'text', text: `called ${request.params.name}` }],
    }));
    return server;
  };
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer(async (req, res) => {
    if (options.sessions) {
      const id = req.headers['mcp-session-id'];
      if (typeof id === 'string') {
        const transport = sessions.get(id);
        if (transport) await transport.handleRequest(req, res);
        else res.writeHead(404).end();
        return;
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport),
      });
      transport.onclose = () => void sessions.delete(transport.sessionId ?? '');
      await sdkServer().connect(transport);
      await transport.handleRequest(req, res);
      return;
    }
    // Stateless mode: one SDK server and transport per request.
    const server = sdkServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    setTools(next) {
      tools = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const transport of sessions.values()) void transport.close();
        http.closeAllConnections();
        http.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
