import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VerifyJsonOutput } from '../../src/commands/verify.js';
import type { CliIo } from '../../src/io.js';
import { runCli } from '../../src/run-cli.js';

/** The built executable (test/global-setup.ts builds it). */
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
/** The CLI's own fixtures (the SARIF schema). */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** Core's fixtures: the tool corpus and the RFC 8785 vectors, shared rather than copied. */
export const CORE_FIXTURES = fileURLToPath(
  new URL('../../../core/test/fixtures/', import.meta.url),
);
export const CORPUS = join(CORE_FIXTURES, 'mcp-tools');

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `etdi` as a subprocess, the way users and scripts do. */
export function etdi(
  args: readonly string[],
  options: { cwd: string; env?: Readonly<Record<string, string>> },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      // The registry variables never leak in from the shell that runs the tests.
      env: { ...withoutRegistryEnv(process.env), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function withoutRegistryEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { ETDI_REGISTRY_URL: _url, ETDI_API_KEY: _key, ...rest } = env;
  return rest;
}

/** Runs `runCli` in this process with captured streams: fast, for setup and TTY behaviour. */
export async function etdiInProcess(
  args: readonly string[],
  options: { cwd: string; stderrIsTTY?: boolean },
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    cwd: options.cwd,
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.stderrIsTTY ?? false },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** A fresh temporary directory and its removal. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'etdi-cli-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function readJson<T = unknown>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The decoded claims of a signed tool's JWS. */
export function claimsOf(tool: unknown): Record<string, unknown> {
  const jws = (tool as { _meta: Record<string, string> })._meta['io.etdi/signature'];
  const payload = jws?.split('.')[1];
  if (payload === undefined) throw new Error('the tool carries no signature');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Parses `etdi verify --format json` output. */
export function parseVerifyJson(stdout: string): VerifyJsonOutput {
  return JSON.parse(stdout) as VerifyJsonOutput;
}

/** A tools/list result of the corpus (`memory.json`: 9 tools). */
export async function loadList(
  name = 'memory',
): Promise<{ tools: Record<string, unknown>[]; [k: string]: unknown }> {
  return readJson(join(CORPUS, `${name}.json`));
}
