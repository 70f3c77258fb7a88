import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The guard's Prometheus metrics, registered on the registry the gateway serves at `/metrics`
 * (none when no registry is given: the counters still count, nobody scrapes them).
 */
export class GuardMetrics {
  /** Tool decisions at `tools/list`, by reason code (`reason="verified"` for a verified tool). */
  readonly decisions: Counter<'upstream' | 'decision' | 'reason'>;
  /** `tools/call` decisions by reason code. */
  readonly calls: Counter<'upstream' | 'decision' | 'reason'>;
  /** Byte-level list cache: `hit`, `miss`, `expired` (found but no longer valid), `bypass`. */
  readonly listCache: Counter<'upstream' | 'result'>;
  /** Registry look-ups (digests, versions, receipts): `hit` from the cache, `fetch`, `error`. */
  readonly registryLookups: Counter<'kind' | 'result'>;
  /** Trust source refreshes: `updated`, `unchanged`, `failed`. */
  readonly trustRefreshes: Counter<'source' | 'result'>;
  /** 1 while trust is loaded and fresh, 0 while the guard fails closed. */
  readonly trustReady: Gauge;
  readonly #children = new Map<string, { inc(n?: number): void }>();

  /**
   * Counts on a label child cached by its values: hashing the label set on every list or call
   * is most of a counter's cost. Every label value is bounded (configured upstreams, closed
   * reason codes), so the cache is too.
   */
  count<L extends string>(counter: Counter<L>, labels: Readonly<Record<L, string>>, n = 1): void {
    const key = `${(counter as unknown as { name: string }).name}\u0000${Object.values(labels).join('\u0000')}`;
    let child = this.#children.get(key);
    if (!child) {
      child = counter.labels(labels as Partial<Record<L, string | number>>);
      this.#children.set(key, child);
    }
    child.inc(n);
  }

  constructor(registry?: Registry) {
    const registers = registry ? [registry] : [];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.decisions = counter(
      'etdi_gateway_tool_decisions_total',
      'Tool verification decisions at tools/list, by upstream, decision and reason code',
      ['upstream', 'decision', 'reason'],
    );
    this.calls = counter(
      'etdi_gateway_tool_call_decisions_total',
      'tools/call decisions of the guard, by upstream, decision and reason code',
      ['upstream', 'decision', 'reason'],
    );
    this.listCache = counter(
      'etdi_gateway_list_cache_total',
      'tools/list pages answered from the byte-level cache (hit) or verified (miss, expired, bypass)',
      ['upstream', 'result'],
    );
    this.registryLookups = counter(
      'etdi_gateway_registry_lookups_total',
      'Registry look-ups of attested copies, versions and receipts, by cache result',
      ['kind', 'result'],
    );
    this.trustRefreshes = counter(
      'etdi_gateway_trust_refreshes_total',
      'Trust source reloads and refreshes (JWKS files, signed tools, registry), by result',
      ['source', 'result'],
    );
    this.trustReady = new Gauge({
      name: 'etdi_gateway_trust_ready',
      help: '1 while trust is loaded and fresh; 0 while every tool is refused as stale',
      registers,
    });
  }
}
