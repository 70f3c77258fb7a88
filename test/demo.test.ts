/**
 * `pnpm demo` (scripts/demo/run-demo.mjs) on the built programs: it tells the whole story and
 * exits 0; when a step misbehaves it exits 1 naming it; and stopped half-way with SIGINT, it
 * leaves no process and no temporary file behind (nor in the other two cases).
 */
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, processesWithEnv, ROOT, spawnNode } from './support/processes.js';

const DEMO = `${ROOT}scripts/demo/run-demo.mjs`;
// Not ETDI_*: the demo passes the rest of its environment on to every program it starts.
const MARKER = 'DEMO_TEST_RUN_ID';

/** Runs the demo with its own TMPDIR and a marker in its (and its children's) environment. */
function startDemo(tmp: string, runId: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawnNode([DEMO], {
    env: { ...process.env, ...env, TMPDIR: tmp, [MARKER]: runId },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

describe('pnpm demo', () => {
  let tmp: string;
  beforeAll(async () => {
    assertBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'etdi-demo-test-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('tells the whole story, exits 0 and leaves nothing behind', async () => {
    const runId = `ok-${process.pid}-${Date.now()}`;
    // ETDI_* settings of the caller's shell must not reach the demo's programs: this registry id
    // would collide with the demo's provider, this API key would be refused.
    const demo = startDemo(tmp, runId, {
      ETDI_REGISTRY_ID: 'com.example',
      ETDI_API_KEY: 'etdi_AAAAAAAAAAAAAAAA.not-a-key',
    });
    const [code] = await once(demo.child, 'exit');
    const out = demo.stdout();
    expect(code, `${out}\n${demo.stderr()}`).toBe(0);
    expect(out).toContain('verified: get_forecast, set_alert');
    expect(out).toMatch(/rejected: run_shell +unsigned/);
    expect(out).toMatch(/rejected: get_air_quality +digest-mismatch/);
    expect(out).toMatch(/rejected: get_forecast_pro +key-provider-mismatch/);
    expect(out).toMatch(/rejected: get_radar +expired/);
    expect(out).toContain('get_forecast {"city":"Lisbon"} -> Forecast for Lisbon');
    expect(out).toContain('run_shell -> refused (JSON-RPC -32602, reason unsigned)');
    expect(out).toContain('-> HTTP 403, reason insufficient-scope (missing weather:write)');
    expect(out).toMatch(/(\d+) of \1 reviewed tools verified \(attested by org.example.ops\)/);
    expect(out).toContain('echo -> Echo: hello through ETDI');
    expect(out).toContain('the registry refuses it: exit 1, reason rug-pull');
    expect(out).toMatch(/rejected: get_forecast +rug-pull/);
    expect(out).toContain('get_forecast -> refused (JSON-RPC -32602, reason rug-pull)');
    expect(out).toContain('Demo passed: every step behaved as expected');
    expect(await readdir(tmp)).toEqual([]);
    expect(await processesWithEnv(MARKER, runId)).toEqual([]);
  }, 180_000);

  it('exits 1 naming the step that misbehaved, and still cleans up', async () => {
    const runId = `fail-${process.pid}-${Date.now()}`;
    // `etdi provider create` fails in this run (a preloaded shim), so step 3 cannot do its work.
    const shim = `${ROOT}test/support/refuse-provider-create.cjs`;
    const demo = startDemo(tmp, runId, { NODE_OPTIONS: `--require=${shim}` });
    const [code] = await once(demo.child, 'exit');
    expect(code).toBe(1);
    expect(demo.stderr()).toContain(
      'Demo FAILED: step 3 (The registry admin creates providers and publisher API keys) failed',
    );
    expect(demo.stderr()).toContain('provider-exists');
    expect(demo.stdout()).not.toContain('Demo passed');
    expect(await readdir(tmp)).toEqual([]);
    expect(await processesWithEnv(MARKER, runId)).toEqual([]);
  }, 180_000);

  it('stopped with SIGINT half-way, it stops every process and removes its files', async () => {
    const runId = `sigint-${process.pid}-${Date.now()}`;
    const demo = startDemo(tmp, runId);
    const exited = once(demo.child, 'exit');
    // Once the registry and the demo server run, and the CLI works in between.
    const deadline = Date.now() + 120_000;
    while (!demo.stdout().includes('weather server on http')) {
      if (demo.child.exitCode !== null) throw new Error(`the demo ended early:\n${demo.stdout()}`);
      if (Date.now() > deadline) throw new Error(`the demo got nowhere:\n${demo.stdout()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await processesWithEnv(MARKER, runId)).length).toBeGreaterThanOrEqual(3);
    demo.child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(130);
    expect(demo.stderr()).toContain("SIGINT: stopping the demo's processes and removing its files");
    expect(await readdir(tmp)).toEqual([]);
    expect(await processesWithEnv(MARKER, runId)).toEqual([]);
  }, 180_000);
});
