/**
 * Child processes for the end-to-end suites: the built programs (`etdi`, `etdi-registry`,
 * `etdi-gateway`) run exactly as a user runs them, tracked so that a test can prove none is left
 * behind.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The built programs. The suites run on `pnpm build` output, as `pnpm test` does. */
export const BIN = {
  etdi: `${ROOT}packages/cli/dist/bin.js`,
  registry: `${ROOT}packages/registry/dist/bin.js`,
  gateway: `${ROOT}packages/gateway/dist/bin.js`,
} as const;

/** Throws with the fix when the workspace is not built. */
export function assertBuilt(): void {
  const missing = Object.values(BIN).filter((b) => !existsSync(b));
  if (missing.length > 0) {
    throw new Error(`not built (${missing.join(', ')} missing): run pnpm build first`);
  }
}

/** A free port on 127.0.0.1, for a service whose URL must be known before it listens. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `node ...args` with piped output, from the repository root unless `cwd` says otherwise. */
export function spawnNode(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface Service {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM (graceful) or SIGKILL; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `node ...args` and resolves once `ready(output)` is true (or `readyUrl` answers 2xx),
 * failing with the process's output when it exits first or does not get ready in time.
 */
export async function startService(
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    ready?: (output: string) => boolean;
    readyUrl?: string;
    timeoutMs?: number;
  },
): Promise<Service> {
  const child = spawnNode(args, options);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const service: Service = {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${args.join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${output}`,
      );
    }
    const ready = options.readyUrl
      ? await fetch(options.readyUrl).then(
          (r) => r.ok,
          () => false,
        )
      : options.ready!(output);
    if (ready) return service;
    if (Date.now() > deadline) {
      await service.stop('SIGKILL');
      throw new Error(`${args.join(' ')} did not get ready in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node ...args` to its end. */
export async function run(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  const child = spawnNode(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, stdout, stderr };
}

/**
 * The processes of this user whose environment holds `NAME=value`: children inherit the
 * environment, so a marker variable finds every process a run started, however deep.
 */
export async function processesWithEnv(name: string, value: string): Promise<number[]> {
  const marker = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`).catch(() => undefined);
    if (environ?.toString('utf8').split('\0').includes(marker)) found.push(Number(entry));
  }
  return found;
}
