import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Results {
  readonly quick: boolean;
  readonly filter: string;
  readonly machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    node: string;
    loadAverage: number[];
  };
  readonly benchmarks: ReadonlyArray<{
    file: string;
    exitCode: number;
    tables: { title: string; results: { name: string; ratio: number }[] }[];
    goals: { label: string; ratio: number; target: number; met: boolean }[];
  }>;
}

// One short smoke run of one in-process benchmark (BENCH_QUICK=1): it checks the runner and
// the report writer, never a time.
describe('pnpm bench: the report', () => {
  let out: string;
  let run: ReturnType<typeof spawnSync>;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'etdi-bench-report-'));
    run = spawnSync(process.execPath, ['bench/run.mjs', 'core/bench/verify'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out },
      timeout: 180_000,
    });
  }, 200_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('runs the benchmark and exits 0', () => {
    expect(run.status, String(run.stderr)).toBe(0);
  });

  it('writes results.json with the machine, every table and every goal', async () => {
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.quick).toBe(true);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    expect(results.machine.loadAverage).toHaveLength(3);
    expect(results.benchmarks.map((b) => b.file)).toEqual(['packages/core/bench/verify.bench.ts']);
    const [bench] = results.benchmarks;
    expect(bench!.exitCode).toBe(0);
    expect(bench!.tables.length).toBeGreaterThan(0);
    for (const t of bench!.tables) expect(t.results[0]!.ratio).toBe(1);
    expect(bench!.goals.map((g) => g.label)).toEqual([
      'verify pipeline vs bare crypto.verify (throughput)',
      'cold 100-tool verifyTools vs bare concurrent verify (time)',
    ]);
    for (const g of bench!.goals) expect(typeof g.met).toBe('boolean');
  });

  it('answers each goal of the issues from what was measured, and says which were not', async () => {
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
      issueGoals: { goal: string; measured: { label: string }[]; met: boolean | null }[];
    };
    const [pipeline, cold, ...others] = results.issueGoals;
    expect(pipeline!.measured.map((m) => m.label)).toEqual([
      'verify pipeline vs bare crypto.verify (throughput)',
    ]);
    expect(typeof pipeline!.met).toBe('boolean');
    expect(cold!.measured).toHaveLength(1);
    // Only the core benchmark ran: the gateway's and the registry's goals are not measured.
    expect(others.length).toBeGreaterThanOrEqual(3);
    for (const g of others) expect(g).toMatchObject({ measured: [], met: null });
    const md = await readFile(join(out, 'RESULTS.md'), 'utf8');
    expect(md).toContain('## Goals of the issues');
    expect(md).toContain('not measured in this run');
  });

  it('writes RESULTS.md with the machine, the goals and the tables, formatted as the repository is', async () => {
    const md = await readFile(join(out, 'RESULTS.md'), 'utf8');
    expect(md).toContain('## Machine');
    expect(md).toContain('quick smoke run');
    expect(md).toMatch(
      /\| verify pipeline vs bare crypto\.verify \(throughput\) +\| [0-9.]+x +\| ≥ 0\.8x/,
    );
    expect(md).toContain('### `packages/core/bench/verify.bench.ts`');
    const options = (await resolveConfig(join(root, 'bench', 'RESULTS.md'))) ?? {};
    expect(await format(md, { ...options, parser: 'markdown' })).toBe(md);
  });
});
