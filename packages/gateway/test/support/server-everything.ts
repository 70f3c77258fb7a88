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
