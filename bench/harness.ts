/**
 * A tiny side-by-side benchmark harness. Candidates run interleaved, round after round, in one
 * process, so machine noise hits them alike; each reports the median of its rounds and its
 * ratio to the baseline (the first candidate). It prints; it never asserts a time.
 */
import { performance } from 'node:perf_hooks';

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
  const rounds = options.rounds ?? 7;
  const warmup = options.warmup ?? Math.max(1, Math.floor(options.calls / 2));
  for (const c of candidates) await timeCalls(c, warmup);
  const times = candidates.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of candidates.entries()) times[i]!.push(await timeCalls(c, options.calls));
  }
  const results = candidates.map((c, i) => {
    const ms = median(times[i]!);
    const ops = (options.calls * (c.opsPerCall ?? 1)) / (ms / 1000);
    return { name: c.name, opsPerSec: ops, usPerCall: (ms * 1000) / options.calls, ratio: 0 };
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
  return results;
}

/** Prints a goal line: the measured ratio against its target. */
export function goal(label: string, ratio: number, target: number, higherIsBetter = true): void {
  const met = higherIsBetter ? ratio >= target : ratio <= target;
  console.log(
    `  GOAL ${label}: ${ratio.toFixed(2)}x (target ${higherIsBetter ? '≥' : '≤'} ${target}x) ${met ? 'met' : 'NOT MET'}`,
  );
}
