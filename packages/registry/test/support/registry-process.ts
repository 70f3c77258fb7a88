import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateApiKey } from '@etdi/auth';
import { generateKeyPair } from '@etdi/core';

const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built bin, as it ships (`pnpm build` makes it; `pnpm test` builds before testing). A build
 * older than the sources would test old code: refuse it.
 */
function builtBin(): string {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm build first`);
  // tsc -b rewrites only what changed: compare the newest output with the newest source.
  if (newestIn(DIST) < newestIn(SRC) - 1000) {
    throw new Error(`${BIN} is older than packages/registry/src: run pnpm build first`);
  }
  return BIN;
}

/** A registry started as its own process: the built `etdi-registry` bin. */
export interface RegistryProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** stdout lines (pino JSON) so far. */
  readonly lines: string[];
  /** Resolves with the first stdout line `match` accepts (already seen lines count). */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** SIGTERM and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Waits for the process to end by itself; resolves with the exit code. */
  exited(): Promise<number | null>;
  /** SIGKILL (kill -9) and wait for the process to be gone. */
  kill9(): Promise<void>;
}

/** A scratch directory with a registry signing key and an admin key, removed by `remove`. */
export function registryFiles(id = 'registry.test') {
  const dir = mkdtempSync(join(tmpdir(), 'etdi-registry-proc-'));
  const adminKey = generateApiKey();
  return {
    dir,
    adminKey,
    id,
    async keyFile(): Promise<string> {
      const path = join(dir, 'registry-key.jwk');
      const pair = await generateKeyPair('EdDSA', { iss: id });
      writeFileSync(path, JSON.stringify(pair.privateJwk), { mode: 0o600 });
      return path;
    },
    remove(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `etdi-registry` with these arguments to completion. */
export async function runRegistryBin(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [builtBin(), ...args], {
    cwd: options.cwd ?? PACKAGE_DIR,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * Starts `etdi-registry` on an ephemeral port and resolves once it listens (its log line says
 * where). Every caller stops it (`stop` or `kill9`) in `afterAll`/`finally`.
 */
export async function startRegistryProcess(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RegistryProcess> {
  const child = spawn(
    process.execPath,
    [builtBin(), '--port', '0', '--host', '127.0.0.1', ...args],
    {
      cwd: options.cwd ?? PACKAGE_DIR,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.match(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const waitForLine = (match: (line: string) => boolean) => {
    const seen = lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      waiters.push({ match, resolve });
      void exited.then(([code]) =>
        reject(
          new Error(`etdi-registry exited (${code}) before the expected line; stderr:\n${stderr}`),
        ),
      );
    });
  };
  const listening = await waitForLine((l) => l.includes('Server listening at http://127.0.0.1'));
  const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(listening)![1]!;
  return {
    url,
    child,
    lines,
    waitForLine,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    async exited() {
      const [code] = await exited;
      return code;
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
