/** The `etdi-gateway` bin as a real process (from source through tsx), for multi-node tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** SIGTERM (graceful) or SIGKILL; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `etdi-gateway --config FILE` and waits until `/healthz` answers on `origin`. */
export async function startGatewayProcess(
  configPath: string,
  origin: string,
): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@etdi/source', '--import', 'tsx', BIN, '--config', configPath],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`etdi-gateway exited with ${child.exitCode}: ${output}`);
    const ok = await fetch(`${origin}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`etdi-gateway did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
