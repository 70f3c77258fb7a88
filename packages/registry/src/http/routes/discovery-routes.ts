import { buildTrustJwks } from '@etdi/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RegistryError } from '../../errors.js';
import { trustJwksOf } from '../../service/trust-jwk.js';
import { SHORT_LIVED } from '../caching.js';
import type { RegistryContext } from '../context.js';
import { problems } from '../route-schema.js';
import { IssParams, JwksReply, RegistryDocumentReply } from '../schemas.js';

function baseUrl(ctx: RegistryContext, request: FastifyRequest): string {
  return ctx.publicUrl ?? `${request.protocol}://${request.host}`;
}

/** `/.well-known/etdi-registry`, `/.well-known/jwks.json`, `/v1/providers/{iss}/jwks.json`. */
export async function discoveryRoutes(app: FastifyInstance, ctx: RegistryContext): Promise<void> {
  const ownKeys = await buildTrustJwks([{ jwk: ctx.signingKey.publicJwk, iss: ctx.registryId }]);

  app.get(
    '/.well-known/etdi-registry',
    {
      schema: {
        tags: ['discovery'],
        summary: "The registry's id, where its JWKS and revocation list are, and its own keys",
        response: { 200: RegistryDocumentReply },
      },
    },
    async (request, reply) => {
      const base = baseUrl(ctx, request);
      reply.header('cache-control', SHORT_LIVED);
      if (!ctx.publicUrl) reply.header('vary', 'host');
      return {
        id: ctx.registryId,
        jwks_uri: `${base}/.well-known/jwks.json`,
        revocations_uri: `${base}/v1/revocations`,
        keys: ownKeys,
      };
    },
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['keys'],
        summary: 'Trust JWKS of every provider key, with iss, status and dates',
        response: { 200: JwksReply },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', SHORT_LIVED);
      return trustJwksOf(await ctx.store.listKeys());
    },
  );

  app.get<{ Params: { iss: string } }>(
    '/v1/providers/:iss/jwks.json',
    {
      schema: {
        tags: ['keys'],
        summary: "Trust JWKS of one provider's keys",
        params: IssParams,
        response: { 200: JwksReply, ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      const { iss } = request.params;
      if (!(await ctx.store.getProvider(iss))) {
        throw new RegistryError('not-found', `No provider ${JSON.stringify(iss)}`, {
          pointer: '/iss',
        });
      }
      reply.header('cache-control', SHORT_LIVED);
      return trustJwksOf(await ctx.store.listKeys({ iss: [iss] }));
    },
  );
}
