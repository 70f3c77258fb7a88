#!/usr/bin/env node
// Runs every benchmark (`bench/*.bench.ts` and `packages/*/bench/*.bench.ts`) one after the other,
// each in its own Node process so they do not disturb each other's JIT and heap. Benchmarks print
// ratios measured side by side in one run; they assert nothing about time.
//
// Usage: pnpm bench [filter]   e.g. `pnpm bench verify` runs only files whose path contains "verify".
// A full run (no filter) writes bench/RESULTS.md and bench/results.json: the machine, every
// table and goal the harness recorded, and each benchmark's output. BENCH_OUT=DIR writes them
// into DIR instead (also for a filtered run); BENCH_QUICK=1 makes a short smoke run.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv[2] ?? '';
const outDir = process.env.BENCH_OUT ?? (filter === '' ? join(root, 'bench') : undefined);
const quick = process.env.BENCH_QUICK === '1';

const dirs = [join(root, 'bench')];
for (const pkg of readdirSync(join(root, 'packages')))
  dirs.push(join(root, 'packages', pkg, 'bench'));

const files = dirs
  .filter((d) => existsSync(d))
  .flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.bench.ts'))
      .map((f) => join(d, f)),
  )
  // Match the path inside the repository: the checkout's own folder name must not match every file.
  .filter((f) => relative(root, f).includes(filter))
  .sort();

/**
 * The performance goals of DESIGN.md and the issues, and which recorded goal lines measure each
 * (by the label the benchmark gives `goal()`). A goal no benchmark of the run measured says so.
 */
const ISSUE_GOALS = [
  {
    goal: 'the verify pipeline (validate + JCS + SHA-256 + claims + Ed25519) ≥ 0.8x bare crypto.verify',
    source: 'DESIGN.md, issue 9',
    match: (label) => label.startsWith('verify pipeline vs bare crypto.verify'),
  },
  {
    goal: 'a cold 100-tool verifyTools within 1.2x of bare concurrent verification',
    source: 'DESIGN.md',
    match: (label) => label.startsWith('cold 100-tool verifyTools'),
  },
  {
    goal: 'a cached 100-tool tools/list through the gateway, p50 ≤ 1.3x the upstream alone',
    source: 'DESIGN.md, issue 9',
    match: (label) => label.startsWith('cached tools/list p50'),
  },
  {
    goal: 'tools/call through the gateway ≥ 0.8x a bare keep-alive pass-through proxy',
    source: 'DESIGN.md, issue 9',
    match: (label) => label.startsWith('tools/call throughput, gateway / bare proxy'),
  },
  {
    goal: 'the registry serves a signed definition ≥ 0.7x a bare Fastify route',
    source: 'DESIGN.md, issue 8',
    match: (label) => label.startsWith('registry on ') && label.endsWith('vs the bare route'),
  },
];

/** Each goal of the issues with the recorded measurements that answer it. */
function issueGoals(benchmarks) {
  const recorded = benchmarks.flatMap((b) => b.goals.map((g) => ({ ...g, file: b.file })));
  return ISSUE_GOALS.map(({ goal, source, match }) => {
    const measured = recorded.filter((g) => match(g.label));
    return {
      goal,
      source,
      measured: measured.map(({ label, ratio, target, met }) => ({ label, ratio, target, met })),
      met: measured.length === 0 ? null : measured.every((g) => g.met),
    };
  });
}

/** The machine, as it was when the run started (load average included: the machine is shared). */
function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()} ${process.arch}`,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Runs one benchmark, its output shown live and kept; resolves to what the harness recorded. */
function runOne(file, recordFile) {
  return new Promise((resolve) => {
    const started = Date.now();
    let output = '';
    const child = spawn(process.execPath, ['--conditions=@etdi/source', '--import', 'tsx', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_RECORD: recordFile },
    });
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      output += d;
    });
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      output += d;
    });
    child.on('close', (code, signal) => {
      const entries = existsSync(recordFile)
        ? readFileSync(recordFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line))
        : [];
      resolve({
        file: relative(root, file),
        exitCode: code ?? (signal ? 128 : 1),
        seconds: Math.round((Date.now() - started) / 100) / 10,
        tables: entries.filter((e) => e.type === 'compare').map(({ type: _t, ...e }) => e),
        goals: entries.filter((e) => e.type === 'goal').map(({ type: _t, ...e }) => e),
        output,
      });
    });
  });
}

const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const cell = (text) => String(text).replace(/\|/g, '\\|');

/** bench/RESULTS.md: the goals first, then each benchmark's tables and output. */
function markdown(report) {
  const m = report.machine;
  const lines = [
    '# Benchmark results',
    '',
    `<!-- Written by \`pnpm bench\` (bench/run.mjs) on ${report.date}. Do not edit by hand. -->`,
    '',
    'Every benchmark measures its candidates side by side in one process, interleaved round by',
    'round, and reports medians and ratios to the first candidate: on a shared machine only the',
    'ratios mean something. The raw numbers are in [results.json](results.json).',
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${cell(m.cpu)} |`,
    `| cores | ${m.cores} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| Node.js | ${m.node} |`,
    `| OS | ${cell(m.os)} |`,
    `| load average at start (1, 5, 15 min) | ${m.loadAverage.join(', ')} |`,
    `| run | ${report.quick ? 'quick smoke run (BENCH_QUICK=1): numbers are not meaningful' : 'full'}${report.filter ? `, filter \`${cell(report.filter)}\`` : ''} |`,
    '',
    '## Goals of the issues',
    '',
    '| goal | source | measured | met |',
    '| --- | --- | --- | --- |',
    ...report.issueGoals.map(
      (g) =>
        `| ${cell(g.goal)} | ${g.source} | ${
          g.measured.length === 0
            ? 'not measured in this run'
            : g.measured.map((m) => `${cell(m.label)}: ${fixed(m.ratio, 2)}x`).join('<br>')
        } | ${g.met === null ? '—' : g.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '## Every goal recorded',
    '',
  ];
  const goals = report.benchmarks.flatMap((b) => b.goals.map((g) => ({ ...g, file: b.file })));
  if (goals.length === 0) lines.push('No benchmark of this run states a goal.', '');
  else {
    lines.push('| goal | measured | target | met | benchmark |', '| --- | --- | --- | --- | --- |');
    for (const g of goals) {
      lines.push(
        `| ${cell(g.label)} | ${fixed(g.ratio, 2)}x | ${g.higherIsBetter ? '≥' : '≤'} ${g.target}x | ${g.met ? 'yes' : '**no**'} | \`${g.file}\` |`,
      );
    }
    const met = goals.filter((g) => g.met).length;
    lines.push('', `${met} of ${goals.length} goals met.`, '');
  }
  const failed = report.benchmarks.filter((b) => b.exitCode !== 0);
  if (failed.length > 0) {
    lines.push(
      `**${failed.length} benchmark(s) failed**: ${failed.map((b) => `\`${b.file}\``).join(', ')} (see their output below).`,
      '',
    );
  }
  lines.push('## Benchmarks', '');
  for (const b of report.benchmarks) {
    lines.push(`### \`${b.file}\``, '', `Exit code ${b.exitCode}, ${b.seconds} s.`, '');
    for (const t of b.tables) {
      lines.push(
        `**${cell(t.title)}** (median of ${t.rounds} rounds of ${t.calls} calls)`,
        '',
        '| candidate | ops/s | µs/call | ratio |',
        '| --- | --- | --- | --- |',
        ...t.results.map(
          (r) =>
            `| ${cell(r.name)} | ${fixed(r.opsPerSec, 0)} | ${fixed(r.usPerCall, 1)} | ${fixed(r.ratio, 2)}x |`,
        ),
        '',
      );
    }
    lines.push(
      '<details><summary>output</summary>',
      '',
      '```text',
      b.output.trimEnd().replace(/```/g, "'''"),
      '```',
      '',
      '</details>',
      '',
    );
  }
  return lines.join('\n');
}

async function writeReport(report) {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(join(root, 'bench', 'RESULTS.md'))) ?? {};
  const md = await prettier.format(markdown(report), { ...options, parser: 'markdown' });
  const { benchmarks, ...rest } = report;
  const json = await prettier.format(
    JSON.stringify({ ...rest, benchmarks: benchmarks.map(({ output: _o, ...b }) => b) }),
    { ...options, parser: 'json' },
  );
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'RESULTS.md'), md);
  writeFileSync(join(outDir, 'results.json'), json);
  console.log(`\nwrote ${relative(process.cwd(), join(outDir, 'RESULTS.md'))} and results.json`);
}

if (files.length === 0) {
  console.error(`no benchmark matches "${filter}"`);
  process.exitCode = 2;
} else {
  const report = {
    date: new Date().toISOString(),
    quick,
    filter,
    machine: machine(),
    benchmarks: [],
  };
  const records = mkdtempSync(join(tmpdir(), 'etdi-bench-'));
  try {
    for (const [i, file] of files.entries()) {
      console.log(`\n=== ${relative(root, file)} ===`);
      report.benchmarks.push(await runOne(file, join(records, `${i}.jsonl`)));
    }
  } finally {
    rmSync(records, { recursive: true, force: true });
  }
  report.issueGoals = issueGoals(report.benchmarks);
  const failed = report.benchmarks.filter((b) => b.exitCode !== 0).length;
  if (outDir) await writeReport(report);
  else
    console.log(
      '\n(filtered run: bench/RESULTS.md is written by a full run, or with BENCH_OUT=DIR)',
    );
  if (failed > 0) {
    console.error(`\n${failed} benchmark file(s) failed`);
    process.exitCode = 1;
  }
}
