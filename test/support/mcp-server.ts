/**
 * A real MCP server (the official SDK's low-level `Server`) over Streamable HTTP on 127.0.0.1,
 * serving whatever tool list the test gives it, byte for byte as the SDK sends it.
 */
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

export async function startMcpServer(initialTools: unknown[]): Promise<TestMcpServer> {
  let tools = initialTools;
  const http: HttpServer = createServer(async (req, res) => {
    // Stateless mode: one SDK server and transport per request.
    const server = new Server(
      { name: 'etdi-test-server', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }) as never);
    server.setRequestHandler(CallToolRequestSchema, async (request) => ({
      content: [{ type: 'text', text: `called ${request.params.name}` }],
    }));
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
        http.closeAllConnections();
        http.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
