/**
 * A tiny side-by-side benchmark harness. Candidates run interleaved, round after round, in one
 * process, so machine noise hits them alike; each reports the median of its rounds and its
 * ratio to the baseline (the first candidate). It prints; it never asserts a time.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * `bench/run.mjs` sets BENCH_RECORD to a file per benchmark: every table and goal is appended to
 * it as one JSON line, for bench/RESULTS.md and bench/results.json.
 */
function record(entry: object): void {
  const file = process.env.BENCH_RECORD;
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/**
 * BENCH_QUICK=1: a smoke run (a twentieth of the calls, at most 3 rounds) that checks the
 * benchmarks and the report run; its numbers mean little.
 */
const QUICK = process.env.BENCH_QUICK === '1';

export interface Candidate {
  readonly name: string;
  /** One operation (or one batch of `opsPerCall` operations). May be async. */
  readonly fn: () => unknown;
  /** Operations one call performs (e.g. 100 for a 100-tool list). Default 1. */
  readonly opsPerCall?: number;
}

export interface CompareOptions {
  /** Calls per round for each candidate. */
  readonly calls: number;
  /** Rounds; the median is reported. Default 7. */
  readonly rounds?: number;
  /** Warm-up calls per candidate before measuring. Default calls / 2. */
  readonly warmup?: number;
}

export interface Measured {
  readonly name: string;
  /** Median operations per second. */
  readonly opsPerSec: number;
  /** Median microseconds per call. */
  readonly usPerCall: number;
  /** opsPerSec / baseline opsPerSec. */
  readonly ratio: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timeCalls(c: Candidate, calls: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const r = c.fn();
    if (r instanceof Promise) await r;
  }
  return performance.now() - start;
}

/** Runs the candidates interleaved and prints one table of medians and ratios to the first. */
export async function compare(
  title: string,
  candidates: readonly Candidate[],
  options: CompareOptions,
): Promise<Measured[]> {
  const calls = QUICK ? Math.max(1, Math.ceil(options.calls / 20)) : options.calls;
  const rounds = QUICK ? Math.min(3, options.rounds ?? 7) : (options.rounds ?? 7);
  const warmup = QUICK
    ? Math.max(1, Math.ceil((options.warmup ?? calls / 2) / 20))
    : (options.warmup ?? Math.max(1, Math.floor(calls / 2)));
  for (const c of candidates) await timeCalls(c, warmup);
  const times = candidates.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of candidates.entries()) times[i]!.push(await timeCalls(c, calls));
  }
  const results = candidates.map((c, i) => {
    const ms = median(times[i]!);
    const ops = (calls * (c.opsPerCall ?? 1)) / (ms / 1000);
    return { name: c.name, opsPerSec: ops, usPerCall: (ms * 1000) / calls, ratio: 0 };
  });
  const base = results[0]!.opsPerSec;
  for (const r of results) (r as { ratio: number }).ratio = r.opsPerSec / base;
  console.log(`\n${title}`);
  console.log(
    `  ${'candidate'.padEnd(58)} ${'ops/s'.padStart(12)} ${'µs/call'.padStart(11)} ${'ratio'.padStart(7)}`,
  );
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(58)} ${r.opsPerSec.toFixed(0).padStart(12)} ${r.usPerCall.toFixed(1).padStart(11)} ${r.ratio.toFixed(2).padStart(6)}x`,
    );
  }
  record({ type: 'compare', title, calls, rounds, results });
  return results;
}

/** Prints a goal line: the measured ratio against its target. */
export function goal(label: string, ratio: number, target: number, higherIsBetter = true): void {
  const met = higherIsBetter ? ratio >= target : ratio <= target;
  record({ type: 'goal', label, ratio, target, higherIsBetter, met });
  console.log(
    `  GOAL ${label}: ${ratio.toFixed(2)}x (target ${higherIsBetter ? '≥' : '≤'} ${target}x) ${met ? 'met' : 'NOT MET'}`,
  );
}
