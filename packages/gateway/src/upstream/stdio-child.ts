import type { Logger } from '@etdi/core';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { GATEWAY_DEFAULTS } from '../config/defaults.js';
import type { ProcessReaper } from './process-reaper.js';

/** What to run: resolved by the upstream (command, arguments, the child's whole environment). */
export interface StdioCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when it never started (`spawn` failed: ENOENT, EACCES). */
  readonly error?: string;
}

/** Options of {@link StdioChild}. */
export interface StdioChildOptions {
  /** The upstream's name, on every log line. */
  readonly upstream: string;
  readonly logger: Logger;
  /**
   * Values never written to the log (the child's token, its configured variables): each of
   * {@link MIN_REDACTED_LENGTH} characters or more is replaced by `[redacted]`.
   */
  readonly secrets: readonly string[];
  readonly onMessage: (message: JSONRPCMessage) => void;
  readonly onExit: (exit: ChildExit) => void;
  /** Told of the child's pid, to kill it should the gateway die first. */
  readonly reaper?: ProcessReaper;
  /** Between SIGTERM and SIGKILL when the reaper has to act. */
  readonly graceMs?: number;
}

// A stderr line longer than this is cut: one runaway line must not flood the log.
const MAX_STDERR_LINE = 4096;

/**
 * Secrets shorter than this are not redacted: a value like `1` or `on` would turn every line
 * into noise, and is no secret. Every longer configured value is, whatever it is.
 */
export const MIN_REDACTED_LENGTH = 4;

/**
 * One MCP server process spoken to over stdio: newline-delimited JSON-RPC on stdin and stdout
 * (framed by the MCP SDK's `ReadBuffer` and `serializeMessage`), stderr to the log line by line
 * with the upstream's name. Its environment is exactly the one given: nothing is inherited from
 * the gateway. It knows nothing of MCP sessions; the supervisor above it does.
 */
export class StdioChild {
  readonly #o: StdioChildOptions;
  readonly #process: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #buffer = new ReadBuffer({ maxBufferSize: GATEWAY_DEFAULTS.maxResponseBytes });
  /** Longest first, so a secret containing another is redacted whole. */
  readonly #secrets: readonly string[];
  #exit: ChildExit | undefined;

  constructor(command: StdioCommand, options: StdioChildOptions) {
    this.#o = options;
    this.#secrets = [...new Set(options.secrets)]
      .filter((s) => s.length >= MIN_REDACTED_LENGTH)
      .sort((a, b) => b.length - a.length);
    this.#process = spawn(command.command, [...command.args], {
      cwd: command.cwd,
      env: { ...command.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    const child = this.#process;
    this.#exited = new Promise((resolve) => {
      let spawnError: string | undefined;
      child.once('error', (error: NodeJS.ErrnoException) => {
        spawnError = error.code ?? error.message;
        // 'exit' does not follow a failed spawn.
        if (child.pid === undefined) finish({ code: null, signal: null, error: spawnError });
      });
      child.once('exit', (code, signal) => finish({ code, signal }));
      const finish = (exit: ChildExit) => {
        if (this.#exit) return;
        this.#exit = exit;
        if (child.pid !== undefined) options.reaper?.unregister(child.pid);
        resolve();
        options.onExit(exit);
      };
    });
    if (child.pid !== undefined) options.reaper?.register(child.pid, options.graceMs ?? 5000);
    child.stdin!.on('error', () => {
      // EPIPE when the child is gone: its exit is reported by 'exit'.
    });
    child.stdout!.on('data', (chunk: Buffer) => this.#read(chunk));
    const lines = createInterface({ input: child.stderr!, crlfDelay: Infinity });
    lines.on('line', (line) => this.#stderr(line));
  }

  /** The operating system's process id (undefined when spawning failed). */
  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** Whether the process has ended (or never started). */
  get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** Writes one message to the child's stdin; false when the child is gone. */
  send(message: JSONRPCMessage): boolean {
    const stdin = this.#process.stdin;
    if (this.#exit || !stdin || stdin.destroyed || !stdin.writable) return false;
    stdin.write(serializeMessage(message));
    return true;
  }

  /**
   * Stops the child: closes its stdin (MCP servers exit on end of input) and sends SIGTERM,
   * then SIGKILL after `graceMs`. Resolves when the process is gone.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.#exit) return;
    this.#process.stdin?.end();
    this.#process.kill('SIGTERM');
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), graceMs);
    try {
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the child at once (SIGKILL), for one that broke the protocol or its time limit. */
  async kill(): Promise<void> {
    if (this.#exit) return;
    this.#process.kill('SIGKILL');
    await this.#exited;
  }

  /** Resolves when the process has ended. */
  wait(): Promise<void> {
    return this.#exited;
  }

  #read(chunk: Buffer): void {
    try {
      this.#buffer.append(chunk);
    } catch {
      this.#o.logger.warn(
        { upstream: this.#o.upstream, pid: this.pid },
        'stdio upstream wrote an over-long line to stdout: process stopped',
      );
      void this.kill();
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#buffer.readMessage();
      } catch {
        // The line is consumed: a server that logs to stdout loses that line, not the session.
        this.#o.logger.warn(
          { upstream: this.#o.upstream, pid: this.pid },
          'stdio upstream wrote a line to stdout that is not a JSON-RPC message: ignored',
        );
        continue;
      }
      if (message === null) return;
      this.#o.onMessage(message);
    }
  }

  #stderr(raw: string): void {
    // Redacted before it is cut: a secret straddling the cut must not leave its first half.
    let line = raw;
    for (const secret of this.#secrets) {
      if (line.includes(secret)) line = line.split(secret).join('[redacted]');
    }
    if (line.length > MAX_STDERR_LINE) line = `${line.slice(0, MAX_STDERR_LINE)}…`;
    this.#o.logger.info(
      { upstream: this.#o.upstream, pid: this.pid, stderr: line },
      'stdio upstream',
    );
  }
}
