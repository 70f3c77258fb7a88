// A real stdio MCP server (the MCP SDK's McpServer) that a parent cannot stop by asking: it
// ignores SIGTERM and, holding a timer, keeps running after its stdin closes. Only SIGKILL
// ends it. The gateway's watchdog must still leave it no chance to outlive the gateway.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'stubborn', version: '1.0.0' });
server.registerTool('ping', { description: 'Answers pong.' }, async () => ({
  content: [{ type: 'text', text: 'pong' }],
}));
await server.connect(new StdioServerTransport());
process.on('SIGTERM', () => {});
globalThis.setInterval(() => {}, 1000);
