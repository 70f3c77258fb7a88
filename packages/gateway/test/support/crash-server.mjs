// A real stdio MCP server (the MCP SDK's McpServer) with a tool that makes it exit and one that
// never answers: for the gateway's restart-with-backoff and timeout tests.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'crash', version: '1.0.0' });
server.registerTool('ping', { description: 'Answers pong.' }, async () => ({
  content: [{ type: 'text', text: 'pong' }],
}));
server.registerTool('crash', { description: 'Exits the server with code 3.' }, async () => {
  process.exit(3);
});
server.registerTool('hang', { description: 'Never answers.' }, () => new Promise(() => {}));
await server.connect(new StdioServerTransport());
