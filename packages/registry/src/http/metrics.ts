import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { ProblemCode } from './problem.js';

/**
 * The registry's Prometheus metrics, in a registry of its own (several apps in one process do
 * not collide): requests by route and status, publishes by outcome, refusals by code.
 */
export class RegistryMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: 'etdi_registry_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly #published = new Counter({
    name: 'etdi_registry_published_tools_total',
    help: 'Tools in accepted publish requests, by outcome (created, unchanged)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #rejections = new Counter({
    name: 'etdi_registry_rejections_total',
    help: 'Refused requests by problem code (a reason code for a refused tool)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts every response under its route pattern (`unmatched` for unknown routes). */
  observe(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      this.#requests.inc({
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      });
    });
  }

  published(outcome: 'created' | 'unchanged', count: number): void {
    if (count > 0) this.#published.inc({ outcome }, count);
  }

  problem(code: ProblemCode): void {
    this.#rejections.inc({ code });
  }
}
