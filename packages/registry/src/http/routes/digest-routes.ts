import type { FastifyInstance } from 'fastify';
import { SHORT_LIVED } from '../caching.js';
import type { RegistryContext } from '../context.js';
import { problems } from '../route-schema.js';
import { DigestParams, DigestReply } from '../schemas.js';

/** `GET /v1/digests/{dig}`: content-addressed lookup of signed copies (attested tools). */
export async function digestRoutes(app: FastifyInstance, ctx: RegistryContext): Promise<void> {
  app.get<{ Params: { dig: string } }>(
    '/v1/digests/:dig',
    {
      schema: {
        tags: ['tools'],
        summary: 'Every signed tool with this digest, oldest first (an empty list when none)',
        description:
          'How a gateway finds the signed copy of an unsigned upstream tool: the digest of its content. Each tool is served byte for byte as published; `receipts[i]` is the receipt of `tools[i]`.',
        params: DigestParams,
        response: { 200: DigestReply, ...problems(400, 429, 503) },
      },
    },
    async (request, reply) => {
      const records = await ctx.store.toolsByDigest(request.params.dig);
      // The set grows when the same content is published again (another version or provider),
      // so it is revalidated rather than cached for a year; each tool in it never changes.
      reply
        .header('cache-control', SHORT_LIVED)
        .header('content-type', 'application/json; charset=utf-8');
      // Built as text so that every tool goes out exactly as it was published.
      return `{"tools":[${records.map((r) => r.body).join(',')}],"receipts":${JSON.stringify(records.map((r) => r.receipt))}}`;
    },
  );
}
