/**
 * `@modelcontextprotocol/server-everything`, unmodified, as a real third-party upstream: its
 * Streamable HTTP mode in a child process on a free 127.0.0.1 port, run from node_modules.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from './gateway.js';

const ENTRY = fileURLToPath(
  new URL(
    '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    import.meta.url,
  ),
);

export interface ServerEverything {
  readonly url: URL;
  close(): Promise<void>;
}

export async function startServerEverything(): Promise<ServerEverything> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [ENTRY, 'streamableHttp'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server-everything did not start: ${log}`)),
      20_000,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (log.includes('listening on port')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited with ${code}: ${log}`));
    });
  });
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The tool list an MCP server serves, exactly as it sends it (raw JSON, not through a client
 * library that could drop members): what an operator reviews and signs into `signedTools`.
 */
export async function rawToolList(url: URL): Promise<Record<string, unknown>[]> {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'review', version: '1' },
      },
    }),
  });
  const session = init.headers.get('mcp-session-id') ?? '';
  await init.text();
  const withSession = {
    ...headers,
    'mcp-session-id': session,
    'mcp-protocol-version': '2025-06-18',
  };
  await fetch(url, {
    method: 'POST',
    headers: withSession,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  }).then((r) => r.text());
  const list = await fetch(url, {
    method: 'POST',
    headers: withSession,
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
  });
  const text = await list.text();
  const json = list.headers.get('content-type')?.includes('event-stream')
    ? text
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .find((d) => d.includes('"tools"'))!
    : text;
  await fetch(url, { method: 'DELETE', headers: withSession }).then((r) => r.text());
  return (JSON.parse(json) as { result: { tools: Record<string, unknown>[] } }).result.tools;
}
