import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';

/** What {@link hostOriginCheck} compares against. */
export interface HostOriginOptions {
  /** The gateway's public URL: its `host` (name and port) is the only Host accepted. */
  readonly publicUrl: URL;
  /** Origins a browser may send (`publicUrl`'s origin and any configured extra ones). */
  readonly allowedOrigins: readonly string[];
  /** Answers a refusal (a JSON-RPC error on MCP routes). */
  readonly refuse: (request: FastifyRequest, reply: FastifyReply, what: 'host' | 'origin') => void;
}

/**
 * An `onRequest` hook against DNS rebinding: the `Host` header must name the gateway's public
 * host, and an `Origin`, when a browser sends one, must be an allowed origin. A page on
 * another site that rebinds its name to the gateway's address fails both.
 */
export function hostOriginCheck(options: HostOriginOptions): onRequestHookHandler {
  const host = options.publicUrl.host.toLowerCase();
  const origins = new Set(options.allowedOrigins.map((o) => o.toLowerCase()));
  return (request, reply, done) => {
    const presented = request.headers.host?.toLowerCase();
    if (presented !== host) {
      options.refuse(request, reply, 'host');
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.has(origin.toLowerCase())) {
      options.refuse(request, reply, 'origin');
      return;
    }
    done();
  };
}
