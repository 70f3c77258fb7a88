import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The registry's built bin (test/global-setup.ts builds it with the CLI). */
const REGISTRY_BIN = fileURLToPath(new URL('../../../registry/dist/bin.js', import.meta.url));

/** A real `etdi-registry` process for the registry command tests. */
export interface RegistryUnderTest {
  readonly url: string;
  /** The admin API key `--dev` created. */
  readonly adminKey: string;
  stop(): Promise<void>;
}

/**
 * Starts `etdi-registry --dev` on 127.0.0.1 and an ephemeral port, with its SQLite file, signing
 * key and admin key in `dir`, and resolves once it listens (its pino log says where).
 */
export async function startRegistry(dir: string, id = 'registry.test'): Promise<RegistryUnderTest> {
  const { ETDI_REGISTRY_ADMIN_KEY: _admin, ...env } = process.env;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      REGISTRY_BIN,
      '--dev',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      join(dir, 'registry.db'),
      '--id',
      id,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    void exited.then(([code]) =>
      reject(new Error(`etdi-registry exited (${String(code)}):\n${stderr}`)),
    );
  });
  const adminKey = (await readFile(join(dir, 'admin-key'), 'utf8')).trim();
  return {
    url,
    adminKey,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
