// A real stdio MCP server (the MCP SDK's Server) whose `echo` tool tells the world about its
// arguments: a log message and a resources/updated carrying them, then tools/list_changed. Run
// as `isolation: shared`, it shows which of a shared child's notifications reach which session.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const server = new Server(
  { name: 'leaky', version: '1.0.0' },
  { capabilities: { tools: { listChanged: true }, logging: {}, resources: { subscribe: true } } },
);
const tools = [
  {
    name: 'echo',
    description: 'Echoes its message, and logs it.',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
  },
  {
    name: 'hang',
    description: 'Reports progress 0, never answers.',
    inputSchema: { type: 'object' },
  },
];
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  if (request.params.name === 'hang') {
    // Progress first, so the caller knows the call is in flight; then no answer, ever.
    const progressToken = request.params._meta?.progressToken;
    if (progressToken !== undefined) {
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress: 0 },
      });
    }
    return new Promise(() => {});
  }
  const message = String(request.params.arguments?.message);
  await server.notification({
    method: 'notifications/message',
    params: { level: 'info', data: `processing ${message}` },
  });
  await server.notification({
    method: 'notifications/resources/updated',
    params: { uri: `memo://${encodeURIComponent(message)}` },
  });
  await server.notification({ method: 'notifications/tools/list_changed' });
  return { content: [{ type: 'text', text: `Echo: ${message}` }] };
});
await server.connect(new StdioServerTransport());
