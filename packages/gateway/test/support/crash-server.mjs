// A real stdio MCP server (the MCP SDK's McpServer) with a tool that makes it exit: for the
// gateway's restart-with-backoff tests.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'crash', version: '1.0.0' });
server.registerTool('ping', { description: 'Answers pong.' }, async () => ({
  content: [{ type: 'text', text: 'pong' }],
}));
server.registerTool('crash', { description: 'Exits the server with code 3.' }, async () => {
  process.exit(3);
});
await server.connect(new StdioServerTransport());
