import type { OAuthErrorCode } from './errors.js';

/** A point-in-time copy of {@link OAuthMetrics}. Latencies in milliseconds. */
export interface OAuthMetricsSnapshot {
  readonly acquisitions: {
    readonly total: number;
    readonly success: number;
    readonly failure: number;
  };
  readonly failuresByCode: Readonly<Partial<Record<OAuthErrorCode, number>>>;
  readonly cache: { readonly hits: number; readonly misses: number; readonly hitRatio: number };
  readonly refreshes: number;
  readonly revocations: number;
  readonly latencyMs: {
    readonly count: number;
    readonly avg: number;
    readonly min: number;
    readonly max: number;
    readonly p95: number;
  };
  readonly activeTokens: number;
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/**
 * Counters of one {@link OAuthService}: acquisitions (requests to the token endpoint, each
 * counted once however many retries it took), cache hits and misses, refreshes, revocations,
 * acquisition latency, and the tokens this service holds that have not expired.
 *
 * Counting is a field increment on the request path; percentiles are computed only when read,
 * from a ring of the most recent latency samples.
 */
export class OAuthMetrics {
  #acquisitionsSuccess = 0;
  #acquisitionsFailure = 0;
  #cacheHits = 0;
  #cacheMisses = 0;
  #refreshes = 0;
  #revocations = 0;
  readonly #failures = new Map<OAuthErrorCode, number>();
  readonly #samples: Float64Array;
  #sampleCount = 0;
  #latencySum = 0;
  #latencyCount = 0;
  #latencyMin = Infinity;
  #latencyMax = 0;
  readonly #active = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: { readonly latencySamples?: number; readonly now?: () => number } = {}) {
    this.#samples = new Float64Array(Math.max(1, options.latencySamples ?? 1024));
    this.#now = options.now ?? Date.now;
  }

  /** Records a token request answered from the cache. Called by the service. */
  recordCacheHit(): void {
    this.#cacheHits++;
  }

  /** Records a token request the cache could not answer. Called by the service. */
  recordCacheMiss(): void {
    this.#cacheMisses++;
  }

  /** Records a cached token replaced by a new one. Called by the service. */
  recordRefresh(): void {
    this.#refreshes++;
  }

  /** Records a token revoked at the authorization server. Called by the service. */
  recordRevocation(): void {
    this.#revocations++;
  }

  /** Records one finished acquisition and its latency. Called by the service. */
  recordAcquisition(ok: boolean, latencyMs: number, code?: OAuthErrorCode): void {
    if (ok) this.#acquisitionsSuccess++;
    else {
      this.#acquisitionsFailure++;
      if (code !== undefined) this.#failures.set(code, (this.#failures.get(code) ?? 0) + 1);
    }
    this.#samples[this.#sampleCount % this.#samples.length] = latencyMs;
    this.#sampleCount++;
    this.#latencySum += latencyMs;
    this.#latencyCount++;
    if (latencyMs < this.#latencyMin) this.#latencyMin = latencyMs;
    if (latencyMs > this.#latencyMax) this.#latencyMax = latencyMs;
  }

  /** Notes that `key` holds a token until `expiresAt` (none with `undefined`). Called by the service. */
  trackToken(key: string, expiresAt: number | undefined): void {
    if (expiresAt === undefined) this.#active.delete(key);
    else this.#active.set(key, expiresAt);
  }

  /** The current values, with the latency statistics computed now. */
  snapshot(): OAuthMetricsSnapshot {
    const now = this.#now();
    for (const [key, expiresAt] of this.#active) if (expiresAt <= now) this.#active.delete(key);
    const lookups = this.#cacheHits + this.#cacheMisses;
    const n = Math.min(this.#sampleCount, this.#samples.length);
    const sorted = Array.from(this.#samples.subarray(0, n)).sort((a, b) => a - b);
    const p95 = n === 0 ? 0 : sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]!;
    return {
      acquisitions: {
        total: this.#acquisitionsSuccess + this.#acquisitionsFailure,
        success: this.#acquisitionsSuccess,
        failure: this.#acquisitionsFailure,
      },
      failuresByCode: Object.fromEntries(this.#failures),
      cache: {
        hits: this.#cacheHits,
        misses: this.#cacheMisses,
        hitRatio: lookups === 0 ? 0 : this.#cacheHits / lookups,
      },
      refreshes: this.#refreshes,
      revocations: this.#revocations,
      latencyMs: {
        count: this.#latencyCount,
        avg: this.#latencyCount === 0 ? 0 : this.#latencySum / this.#latencyCount,
        min: this.#latencyCount === 0 ? 0 : this.#latencyMin,
        max: this.#latencyMax,
        p95,
      },
      activeTokens: this.#active.size,
    };
  }

  /**
   * The metrics in the Prometheus text exposition format (version 0.0.4), names prefixed with
   * `prefix` (default `etdi_oauth`). Latencies are in seconds, as Prometheus expects.
   *
   * @example
   * app.get('/metrics', (_req, reply) =>
   *   reply.type('text/plain; version=0.0.4').send(oauth.metrics.toPrometheus()));
   */
  toPrometheus(prefix = 'etdi_oauth'): string {
    const s = this.snapshot();
    const lines: string[] = [];
    const family = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${prefix}_${name} ${help}`, `# TYPE ${prefix}_${name} ${type}`);
      for (const [suffix, value] of samples)
        lines.push(`${prefix}_${name}${suffix} ${String(value)}`);
    };
    family('token_acquisitions_total', 'counter', 'Token acquisitions by outcome.', [
      ['{outcome="success"}', s.acquisitions.success],
      ['{outcome="failure"}', s.acquisitions.failure],
    ]);
    family(
      'token_acquisition_failures_total',
      'counter',
      'Failed token acquisitions by error code.',
      Object.entries(s.failuresByCode).map(([code, n]) => [
        `{code="${escapeLabel(code)}"}`,
        n ?? 0,
      ]),
    );
    family('cache_hits_total', 'counter', 'Token requests answered from the cache.', [
      ['', s.cache.hits],
    ]);
    family('cache_misses_total', 'counter', 'Token requests the cache could not answer.', [
      ['', s.cache.misses],
    ]);
    family('cache_hit_ratio', 'gauge', 'Cache hits over cache lookups.', [['', s.cache.hitRatio]]);
    family('token_refreshes_total', 'counter', 'Cached tokens replaced before or at expiry.', [
      ['', s.refreshes],
    ]);
    family('token_revocations_total', 'counter', 'Tokens revoked (RFC 7009).', [
      ['', s.revocations],
    ]);
    const seconds = (ms: number) => ms / 1000;
    family('token_acquisition_duration_seconds', 'summary', 'Token acquisition latency.', [
      ['{quantile="0.95"}', seconds(s.latencyMs.p95)],
      ['_sum', seconds(s.latencyMs.avg * s.latencyMs.count)],
      ['_count', s.latencyMs.count],
    ]);
    family('token_acquisition_duration_min_seconds', 'gauge', 'Fastest token acquisition.', [
      ['', seconds(s.latencyMs.min)],
    ]);
    family('token_acquisition_duration_max_seconds', 'gauge', 'Slowest token acquisition.', [
      ['', seconds(s.latencyMs.max)],
    ]);
    family('token_acquisition_duration_avg_seconds', 'gauge', 'Mean token acquisition latency.', [
      ['', seconds(s.latencyMs.avg)],
    ]);
    family('active_tokens', 'gauge', 'Unexpired tokens this service obtained.', [
      ['', s.activeTokens],
    ]);
    return `${lines.join('\n')}\n`;
  }
}
