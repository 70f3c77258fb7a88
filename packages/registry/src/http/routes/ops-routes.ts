import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../../errors.js';
import type { RegistryContext } from '../context.js';
import { problems } from '../route-schema.js';
import { StatusReply } from '../schemas.js';

/** `/healthz`, `/readyz`, `/metrics` and `/openapi.json`. */
export async function opsRoutes(app: FastifyInstance, ctx: RegistryContext): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'The process is up',
        response: { 200: StatusReply },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return { status: 'ok' };
    },
  );

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Ready to serve: the store answers and the signing key is loaded',
        response: { 200: StatusReply, ...problems(503) },
      },
    },
    async (_request, reply) => {
      if (ctx.closing.value) throw new RegistryError('not-ready', 'The registry is shutting down');
      try {
        await ctx.store.ping();
      } catch (cause) {
        throw new RegistryError('not-ready', 'The registry store does not answer', { cause });
      }
      reply.header('cache-control', 'no-store');
      return { status: 'ready', store: ctx.store.kind, signingKey: ctx.signingKey.kid };
    },
  );

  app.get(
    '/metrics',
    {
      config: { rateLimit: false },
      schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false },
    },
    async (_request, reply) => {
      reply
        .header('content-type', ctx.metrics.registry.contentType)
        .header('cache-control', 'no-store');
      return ctx.metrics.registry.metrics();
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(app.swagger());
  });
}
