import { Counter, Histogram, Registry } from 'prom-client';

// JSON-RPC methods are chosen by callers: only these become label values, the rest is "other".
const KNOWN_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
]);

/**
 * The gateway's Prometheus metrics, on a registry of its own (the guard registers its decision
 * and cache counters on the same registry; `/metrics` serves it).
 */
export class GatewayMetrics {
  readonly registry: Registry;
  readonly #requests: Counter<'upstream' | 'method' | 'status'>;
  readonly #latency: Histogram<'upstream'>;
  readonly #refusals: Counter<'upstream' | 'reason'>;
  readonly #requestChildren = new Map<string, ReturnType<Counter<string>['labels']>>();
  readonly #latencyChildren = new Map<string, ReturnType<Histogram<string>['labels']>>();

  constructor(registry = new Registry()) {
    this.registry = registry;
    this.#requests = new Counter({
      name: 'etdi_gateway_requests_total',
      help: 'MCP requests answered, by upstream, JSON-RPC method (or HTTP method) and HTTP status',
      labelNames: ['upstream', 'method', 'status'],
      registers: [registry],
    });
    this.#latency = new Histogram({
      name: 'etdi_gateway_upstream_duration_seconds',
      help: 'Time from sending a request upstream to its response headers',
      labelNames: ['upstream'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.#refusals = new Counter({
      name: 'etdi_gateway_refusals_total',
      help: 'Requests the gateway refused before the upstream saw them, by reason',
      labelNames: ['upstream', 'reason'],
      registers: [registry],
    });
  }

  /** Counts one answered request. */
  request(upstream: string, method: string, status: number): void {
    const m = KNOWN_METHODS.has(method) ? method : 'other';
    // Label children are cached: hashing the label set on every request is most of the cost.
    const key = `${upstream}\0${m}\0${status}`;
    let child = this.#requestChildren.get(key);
    if (child === undefined) {
      child = this.#requests.labels({ upstream, method: m, status: String(status) });
      this.#requestChildren.set(key, child);
    }
    child.inc();
  }

  /** Records the upstream's time to headers. */
  upstreamLatency(upstream: string, seconds: number): void {
    let child = this.#latencyChildren.get(upstream);
    if (child === undefined) {
      child = this.#latency.labels({ upstream });
      this.#latencyChildren.set(upstream, child);
    }
    child.observe(seconds);
  }

  /** Counts a refusal (a reason code, `insufficient-scope`, `session-not-found`, ...). */
  refusal(upstream: string, reason: string): void {
    this.#refusals.inc({ upstream, reason });
  }
}
