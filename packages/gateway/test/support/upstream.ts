/**
 * A real MCP server (the official SDK's low-level `Server`, session-based Streamable HTTP) on
 * 127.0.0.1 that serves whatever tool objects a test gives it, byte for byte, and records every
 * HTTP request it receives (headers and body), so tests can assert what never reached it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

export interface SeenRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface TestUpstream {
  readonly url: URL;
  readonly seen: SeenRequest[];
  /** Replaces the tools served from the next `tools/list` on. */
  setTools(tools: unknown[]): void;
  /** Sends `notifications/tools/list_changed` on every open session. */
  notifyListChanged(): Promise<void>;
  close(): Promise<void>;
}

export interface TestUpstreamOptions {
  /** Answer with JSON bodies instead of SSE streams. */
  readonly json?: boolean;
  /** Requests whose `Authorization` this refuses get 401 (an upstream wanting a token). */
  readonly accepts?: (authorization: string | undefined) => boolean;
  /** Serve `tools/list` in pages of this many tools (the cursor is the next index). */
  readonly pageSize?: number;
}

export async function startUpstream(
  initialTools: unknown[],
  options: TestUpstreamOptions = {},
): Promise<TestUpstream> {
  let tools = initialTools;
  const seen: SeenRequest[] = [];
  const sessions = new Map<string, { server: Server; transport: StreamableHTTPServerTransport }>();

  const newSession = async () => {
    const server = new Server(
      { name: 'etdi-test-upstream', version: '1.0.0' },
      { capabilities: { tools: { listChanged: true } } },
    );
    server.setRequestHandler(ListToolsRequestSchema, async (request) => {
      if (options.pageSize === undefined) return { tools } as never;
      const from = Number(request.params?.cursor ?? 0);
      const to = from + options.pageSize;
      return {
        tools: tools.slice(from, to),
        ...(to < tools.length ? { nextCursor: String(to) } : {}),
      } as never;
    });
    server.setRequestHandler(CallToolRequestSchema, async (request) => ({
      content: [{ type: 'text', text: `called ${request.params.name}` }],
    }));
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.json ?? false,
      onsessioninitialized: (id) => void sessions.set(id, { server, transport }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport;
  };

  const http: HttpServer = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    seen.push({ method: req.method ?? '', headers: req.headers, body: text });
    if (options.accepts && !options.accepts(req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end();
      return;
    }
    const sid = req.headers['mcp-session-id'];
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    let transport = typeof sid === 'string' ? sessions.get(sid)?.transport : undefined;
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
      transport = await newSession();
    }
    await transport.handleRequest(req, res, parsed);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    seen,
    setTools(next) {
      tools = next;
    },
    async notifyListChanged() {
      await Promise.all([...sessions.values()].map((s) => s.server.sendToolListChanged()));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sessions.values()) void s.transport.close();
        http.closeAllConnections();
        http.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
