/** Where a command writes: a stream-like sink (`process.stdout`, or a buffer in tests). */
export interface CliOutput {
  write(chunk: string): unknown;
  /** Progress is only ever drawn on a terminal. */
  readonly isTTY?: boolean;
}

/**
 * The outside world of one `etdi` run. Injected so tests can run commands in-process and read
 * exactly what went to each stream.
 */
export interface CliIo {
  /** Results: what scripts parse. */
  readonly stdout: CliOutput;
  /** Diagnostics, warnings, progress and help requested by mistake. */
  readonly stderr: CliOutput;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** Environment variables (`ETDI_REGISTRY_URL`, `ETDI_API_KEY`). Default none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The real process streams and working directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}
