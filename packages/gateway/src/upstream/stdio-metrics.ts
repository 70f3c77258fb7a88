import { Counter, Gauge, type Registry } from 'prom-client';

/** What a stdio upstream reports to {@link StdioMetrics}. */
export interface StdioMetricsSource {
  readonly name: string;
  /** Children running now. */
  pids(): readonly number[];
}

const known = new WeakMap<Registry, StdioMetrics>();

/**
 * Prometheus metrics of stdio upstreams, on the gateway's registry: children running now
 * (`etdi_gateway_stdio_children`, read at scrape time) and children that exited unexpectedly
 * (`etdi_gateway_stdio_exits_total`: a crash loop shows as a steady rate). One per registry,
 * shared by every stdio upstream on it.
 */
export class StdioMetrics {
  readonly #sources = new Set<StdioMetricsSource>();
  readonly #exits: Counter<'upstream'>;

  private constructor(registry: Registry) {
    const sources = this.#sources;
    new Gauge({
      name: 'etdi_gateway_stdio_children',
      help: 'stdio upstream processes running, by upstream',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        this.reset();
        for (const source of sources) this.set({ upstream: source.name }, source.pids().length);
      },
    });
    this.#exits = new Counter({
      name: 'etdi_gateway_stdio_exits_total',
      help: 'stdio upstream processes that exited unexpectedly (each is restarted with backoff)',
      labelNames: ['upstream'],
      registers: [registry],
    });
  }

  /** The metrics on `registry`, registered on first use. */
  static on(registry: Registry): StdioMetrics {
    let metrics = known.get(registry);
    if (!metrics) {
      metrics = new StdioMetrics(registry);
      known.set(registry, metrics);
    }
    return metrics;
  }

  /** Reports `source`'s children until {@link remove}. */
  add(source: StdioMetricsSource): void {
    this.#sources.add(source);
  }

  remove(source: StdioMetricsSource): void {
    this.#sources.delete(source);
  }

  /** Counts a child of `upstream` that exited without being asked to. */
  exited(upstream: string): void {
    this.#exits.inc({ upstream });
  }
}
