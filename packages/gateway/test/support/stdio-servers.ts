/**
 * The real stdio MCP servers the stdio-upstream tests run, from the workspace's node_modules
 * (never over the network): `@modelcontextprotocol/server-everything` in its stdio mode and
 * `@modelcontextprotocol/server-filesystem`. Plus what the tests ask of processes.
 */
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const modules = new URL('../../node_modules/@modelcontextprotocol/', import.meta.url);

/** `node …/server-everything/dist/index.js stdio`. */
export const EVERYTHING = {
  command: process.execPath,
  args: [fileURLToPath(new URL('server-everything/dist/index.js', modules)), 'stdio'],
};

/** `node …/server-filesystem/dist/index.js DIR`. */
export function filesystem(dir: string): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [fileURLToPath(new URL('server-filesystem/dist/index.js', modules)), dir],
  };
}

/**
 * The tool list a stdio MCP server serves, exactly as it writes it (raw messages from the
 * SDK's stdio transport, not through a client library that could drop members): what an
 * operator reviews and signs into `signedTools`.
 */
export async function rawStdioToolList(server: {
  command: string;
  args: string[];
}): Promise<Record<string, unknown>[]> {
  const transport = new StdioClientTransport({ ...server, stderr: 'ignore' });
  const answers = new Map<number, (m: JSONRPCMessage) => void>();
  transport.onmessage = (message) => {
    if ('id' in message && typeof message.id === 'number') answers.get(message.id)?.(message);
  };
  const request = (id: number, method: string, params?: Record<string, unknown>) =>
    new Promise<JSONRPCMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method}`)), 30_000);
      answers.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      void transport.send({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    });
  await transport.start();
  try {
    await request(1, 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'review', version: '1' },
    });
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const list = (await request(2, 'tools/list')) as unknown as {
      result: { tools: Record<string, unknown>[] };
    };
    return list.result.tools;
  } finally {
    await transport.close();
  }
}

/** Whether a process is alive (a zombie, waiting for a parent to reap it, counts as dead). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

/** The direct children of a process (Linux `/proc`). */
export function childrenOf(pid: number): number[] {
  try {
    const out: number[] = [];
    const tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    for (const p of tasks.trim().split(/\s+/)) if (p) out.push(Number(p));
    return out;
  } catch {
    return [];
  }
}

/** Polls `check` until it holds (generous: the machine is shared and loaded). */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
