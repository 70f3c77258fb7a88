/**
 * A real MCP server of the official SDK v2 (`@modelcontextprotocol/server`), stateless
 * (2026-07-28 only: `createMcpHandler` with `legacy: 'reject'`), on 127.0.0.1 through a small
 * node:http adapter. It serves whatever tool objects a test gives it, byte for byte, and records
 * every HTTP request it receives.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import type { SeenRequest } from './upstream.js';

export interface V2Upstream {
  readonly url: URL;
  readonly seen: SeenRequest[];
  setTools(tools: unknown[]): void;
  /** Publishes `notifications/tools/list_changed` to every open `subscriptions/listen`. */
  notifyListChanged(): void;
  close(): Promise<void>;
}

export async function startV2Upstream(initialTools: unknown[]): Promise<V2Upstream> {
  let tools = initialTools;
  const seen: SeenRequest[] = [];
  const handler = createMcpHandler(
    () => {
      const server = new Server(
        { name: 'etdi-test-v2-upstream', version: '2.0.0' },
        { capabilities: { tools: { listChanged: true } } },
      );
      server.setRequestHandler('tools/list', async () => ({ tools }) as never);
      server.setRequestHandler('tools/call', async (request) => ({
        content: [{ type: 'text', text: `called ${request.params.name}` }],
      }));
      return server;
    },
    { legacy: 'reject' },
  );
  const http: HttpServer = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    seen.push({ method: req.method ?? '', headers: req.headers, body: body.toString('utf8') });
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const response = await handler.fetch(
      new Request(`http://127.0.0.1${req.url ?? '/'}`, {
        method: req.method,
        headers,
        ...(req.method === 'POST' ? { body } : {}),
      }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body === null) {
      res.end();
      return;
    }
    // Streamed as it comes: a subscriptions/listen answer is an SSE stream that stays open.
    const stream = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
    res.once('close', () => stream.destroy());
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    seen,
    setTools(next) {
      tools = next;
    },
    notifyListChanged() {
      handler.notify.toolsChanged();
    },
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve, reject) => http.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
