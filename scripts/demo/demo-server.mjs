// The demo's MCP server: a small "weather" server built with the official MCP SDK, serving
// Streamable HTTP (stateless) on 127.0.0.1. It serves the tool list in the JSON file given as
// its argument exactly as written there, re-reading the file for every `tools/list`: the demo
// prepares that file (signed, unsigned, tampered, squatting and expired tools), and later
// rewrites it to play a server that silently changes a tool's description.
//
//   node scripts/demo/demo-server.mjs TOOLS.json [PORT]
//
// Once it listens it prints one line, `listening on http://127.0.0.1:PORT/mcp`, on stdout.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [toolsFile, portArg = '0'] = process.argv.slice(2);
if (!toolsFile) {
  process.stderr.write('usage: node scripts/demo/demo-server.mjs TOOLS.json [PORT]\n');
  process.exit(2);
}

/** What each demo tool answers: canned text, so the demo shows a real result. */
const ANSWERS = {
  get_forecast: (args) =>
    `Forecast for ${args.city ?? 'somewhere'}: 14°C, light rain in the afternoon.`,
  set_alert: (args) => `Alert set for ${args.city ?? 'somewhere'}.`,
};

async function currentTools() {
  const document = JSON.parse(await readFile(toolsFile, 'utf8'));
  return Array.isArray(document) ? document : document.tools;
}

const http = createServer(async (req, res) => {
  // Stateless Streamable HTTP: one SDK server and transport per request.
  const server = new Server(
    { name: 'demo-weather', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await currentTools() }));
  server.setRequestHandler(CallToolRequestSchema, async ({ params }) => {
    const answer = ANSWERS[params.name];
    return {
      content: [
        { type: 'text', text: answer ? answer(params.arguments ?? {}) : `${params.name}: done` },
      ],
    };
  });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  try {
    await server.connect(transport);
    await transport.handleRequest(req, res);
  } catch (error) {
    process.stderr.write(`demo server: ${error.stack ?? error}\n`);
    if (!res.headersSent) res.writeHead(500).end();
  }
});

http.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${http.address().port}/mcp\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    http.closeAllConnections();
    http.close(() => process.exit(0));
  });
}
