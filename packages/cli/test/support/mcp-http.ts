import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
// @ts-expect-error -- a plain ESM module shared with the stdio server process; typed below.
import { createPagedServer as create } from './paged-server.mjs';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

const createPagedServer = create as (tools: readonly unknown[], pageSize: number) => Server;

/**
 * The paged test server over Streamable HTTP (stateless: a server and transport per request), on
 * 127.0.0.1 and an ephemeral port. Records the headers of every request for the header tests.
 */
export async function startHttpMcpServer(tools: readonly unknown[], pageSize: number) {
  const seenHeaders: Record<string, string | string[] | undefined>[] = [];
  const http = createServer((req, res) => {
    seenHeaders.push({ ...req.headers });
    const server = createPagedServer(tools, pageSize);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return {
    url,
    seenHeaders,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
