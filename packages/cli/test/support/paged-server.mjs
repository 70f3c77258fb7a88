// An MCP server for the scan tests, on the official SDK's low-level Server: it serves the tools
// of a JSON file (argv[2]) exactly as written, `pageSize` (argv[3]) per tools/list page, over
// stdio when run as a program, or over Streamable HTTP through createPagedServer().
import { readFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/** A server whose tools/list pages through `tools`, `pageSize` at a time (cursor = offset). */
export function createPagedServer(tools, pageSize) {
  const server = new Server(
    { name: 'paged-test-server', version: '1.2.3' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler(ListToolsRequestSchema, (request) => {
    const start = Number(request.params?.cursor ?? 0);
    const end = start + pageSize;
    return {
      tools: tools.slice(start, end),
      ...(end < tools.length ? { nextCursor: String(end) } : {}),
    };
  });
  return server;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const tools = Array.isArray(doc) ? doc : doc.tools;
  process.stderr.write(`paged-test-server: serving ${tools.length} tools\n`);
  await createPagedServer(tools, Number(process.argv[3] ?? 5)).connect(new StdioServerTransport());
}
