/**
 * The gateway's one defaults object: every value a configuration document may leave out that
 * the proxy half reads.
 */
export const GATEWAY_DEFAULTS = Object.freeze({
  listen: Object.freeze({ host: '127.0.0.1', port: 8080 }),
  /** Largest request body forwarded upstream (4 MiB); larger ones get 413. */
  maxRequestBytes: 4 * 1024 * 1024,
  /** Largest JSON response body read from an upstream to inspect it (64 MiB). */
  maxResponseBytes: 64 * 1024 * 1024,
  /** Largest single SSE event read from an upstream (16 MiB). */
  maxEventBytes: 16 * 1024 * 1024,
  /** Upstream timeout: time to response headers, and between body chunks of a request. */
  timeout: '30s',
  /** How long a downstream session stays bound to its principal without being deleted. */
  sessionTtl: '24h',
  sessionPrefix: 'etdi:gw:',
  /** Session bindings one principal holds at most (past it, its own least recently used goes). */
  sessionsPerPrincipal: 1024,
  /** Keep-alive connections per upstream. */
  connections: 64,
  keepAliveTimeoutMs: 30_000,
});
