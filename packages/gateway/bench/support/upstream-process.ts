// A fast stateless MCP upstream (Streamable HTTP, JSON responses) for the gateway benchmark, in
// a process of its own so its CPU does not compete with the proxies measured. It answers from
// pre-encoded bytes: the point is to measure the proxies, not an SDK server. Usage:
//   node --import tsx upstream-process.ts TOOLS.json   → prints the port on stdout
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const tools = readFileSync(process.argv[2]!, 'utf8');
const LIST_HEAD = Buffer.from(`{"result":{"tools":${tools}},"jsonrpc":"2.0","id":`);
const CALL_HEAD = Buffer.from(
  '{"result":{"content":[{"type":"text","text":"called"}]},"jsonrpc":"2.0","id":',
);
const INIT_HEAD = Buffer.from(
  '{"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"bench","version":"1.0.0"}},"jsonrpc":"2.0","id":',
);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      id?: unknown;
      method?: string;
    };
    if (message.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const head =
      message.method === 'tools/list'
        ? LIST_HEAD
        : message.method === 'tools/call'
          ? CALL_HEAD
          : INIT_HEAD;
    const body = Buffer.concat([head, Buffer.from(`${JSON.stringify(message.id)}}`)]);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
// The benchmark holds this process's stdin open: when it ends (even by a crash), so does this.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => server.close(() => process.exit(0)));
