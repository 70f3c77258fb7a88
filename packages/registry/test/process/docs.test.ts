import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  registryFiles,
  startRegistryProcess,
  type RegistryProcess,
} from '../support/registry-process.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DOC = join(ROOT, 'docs/registry.md');
const SCRATCH = join(ROOT, '.demo/registry/walkthrough');

/** The shell blocks between the walkthrough markers of docs/registry.md, in order. */
function walkthrough(): string {
  const text = readFileSync(DOC, 'utf8');
  const section = text.slice(
    text.indexOf('<!-- walkthrough:start -->'),
    text.indexOf('<!-- walkthrough:end -->'),
  );
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThan(5);
  return blocks.join('\n');
}

const files = registryFiles();
let proc: RegistryProcess;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'packages/cli/dist/bin.js'))) throw new Error('run pnpm build first');
  rmSync(SCRATCH, { recursive: true, force: true });
  proc = await startRegistryProcess(
    ['--db', join(files.dir, 'docs.db'), '--key', await files.keyFile(), '--id', files.id],
    {
      env: { ETDI_REGISTRY_ADMIN_KEY: files.adminKey },
    },
  );
});
afterAll(async () => {
  await proc?.stop();
  rmSync(SCRATCH, { recursive: true, force: true });
  files.remove();
});

describe('docs/registry.md', () => {
  it('the curl walkthrough runs as written against a real registry', async () => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', walkthrough()], {
      cwd: ROOT,
      env: { ...process.env, ETDI_REGISTRY_URL: proc.url, ETDI_API_KEY: files.adminKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    // What the walkthrough says the commands print.
    expect(out).toContain('{"name":"read_file","ver":"1.0.0","outcome":"created"}');
    expect(out).toMatch(/^etdi-receipt: ey/im);
    expect(out).toMatch(/^304$/m);
    expect(out).toContain('{"status":409,"code":"rug-pull"}');
    expect(out).toContain(`"iss":"${files.id}"`);
    expect(out).toContain('[{"ver":"1.0.0","status":"yanked"}]');
    expect(out).toMatch(/"status":"retired","notAfter":"/);
  });
});
