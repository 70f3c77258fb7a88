import { TrustStore, type PublicJwk } from '@etdi/core';
import type { FastifyInstance } from 'fastify';
import { EtdiError } from '@etdi/core';
import { RegistryError } from '../../errors.js';
import { assertRegistryProviderId, isProviderId, providerIdentity } from '../../provider-id.js';
import { narrowKey } from '../../service/narrow-key.js';
import { trustJwkOf } from '../../service/trust-jwk.js';
import type { KeyStatement } from '../../store/registry-store.js';
import { requireAdmin, requireOwner } from '../auth.js';
import type { RegistryContext } from '../context.js';
import { API_KEY, problems } from '../route-schema.js';
import {
  ApiKeyParams,
  ApiKeyReply,
  CreateApiKeyBody,
  CreateProviderBody,
  IssParams,
  KeysReply,
  ProviderReply,
  TrustJwksBody,
} from '../schemas.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KEY_MEMBERS = ['crv', 'x', 'y', 'n', 'e'] as const;

async function requireProvider(ctx: RegistryContext, iss: string): Promise<void> {
  if (!(await ctx.store.getProvider(iss))) {
    throw new RegistryError(
      'not-found',
      `No provider ${JSON.stringify(iss)}; an admin creates it with POST /v1/providers`,
      { pointer: '/iss' },
    );
  }
}

/**
 * Refuses a new provider id equal (after NFKC and case folding) or confusable (UTS #39
 * skeleton) with the registry's own id: a provider of that name could sign revocation lists.
 */
function refuseRegistryId(ctx: RegistryContext, iss: string): void {
  const own = providerIdentity(ctx.registryId);
  const wanted = providerIdentity(iss);
  if (wanted.folded === own.folded || wanted.skeleton === own.skeleton) {
    throw new RegistryError(
      wanted.folded === own.folded ? 'provider-exists' : 'confusable-provider',
      `${JSON.stringify(iss)} is (or looks like) the registry's own id ${JSON.stringify(ctx.registryId)}`,
      { pointer: '/iss', details: { existing: ctx.registryId } },
    );
  }
}

/** Providers, their publisher API keys and their signing keys. */
export async function providerRoutes(app: FastifyInstance, ctx: RegistryContext): Promise<void> {
  app.post<{ Body: CreateProviderBody }>(
    '/v1/providers',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['providers'],
        summary: 'Create a provider namespace (admin)',
        security: API_KEY,
        body: CreateProviderBody,
        response: { 201: ProviderReply, ...problems(400, 401, 403, 409, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const { iss } = request.body;
      refuseRegistryId(ctx, iss);
      const identity = providerIdentity(iss);
      if (!isProviderId(iss)) {
        // A look-alike of a registered id is named as such, whatever characters it uses.
        const similar = await ctx.store.findSimilarProvider(identity);
        if (similar) {
          throw new RegistryError(
            'confusable-provider',
            `${JSON.stringify(iss)} looks like the registered provider ${JSON.stringify(similar.iss)}`,
            { pointer: '/iss', details: { existing: similar.iss } },
          );
        }
        assertRegistryProviderId(iss, '/iss');
      }
      const created = await ctx.store.createProvider(identity, new Date(ctx.now()).toISOString());
      if (!created.ok) {
        throw new RegistryError(
          created.error,
          created.error === 'provider-exists'
            ? `Provider ${JSON.stringify(created.existing)} exists` +
                (created.existing === iss
                  ? ''
                  : ` (ids are compared case-insensitively after NFKC)`)
            : `${JSON.stringify(iss)} is confusable with the registered provider ${JSON.stringify(created.existing)} (UTS #39)`,
          { pointer: '/iss', details: { existing: created.existing } },
        );
      }
      return reply
        .code(201)
        .header('location', `/v1/providers/${encodeURIComponent(iss)}/jwks.json`)
        .send(created.provider);
    },
  );

  app.post<{ Params: { iss: string }; Body: CreateApiKeyBody }>(
    '/v1/providers/:iss/api-keys',
    {
      onRequest: app.requireAuth,
      // The body is optional: no body means no name and no expiry.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['providers'],
        summary: 'Issue a publisher API key for the provider (admin); shown once',
        security: API_KEY,
        params: IssParams,
        body: CreateApiKeyBody,
        response: { 201: ApiKeyReply, ...problems(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const { iss } = request.params;
      await requireProvider(ctx, iss);
      const { name, expiresAt } = request.body;
      const expires = expiresAt === undefined ? undefined : Date.parse(expiresAt);
      if (expires !== undefined && !(expires > ctx.now())) {
        throw new RegistryError('invalid-request', '"expiresAt" must be a date in the future', {
          pointer: '/expiresAt',
        });
      }
      const issued = await ctx.auth.issuePublisherKey(iss, {
        ...(name === undefined ? {} : { name }),
        ...(expires === undefined ? {} : { expiresAt: expires }),
      });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({
          apiKey: issued.reveal(),
          keyId: issued.keyId,
          iss,
          ...(expires === undefined ? {} : { expiresAt: new Date(expires).toISOString() }),
        });
    },
  );

  app.delete<{ Params: { iss: string; keyId: string } }>(
    '/v1/providers/:iss/api-keys/:keyId',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['providers'],
        summary: "Deactivate a publisher API key (admin, or the provider's publisher)",
        security: API_KEY,
        params: ApiKeyParams,
        response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const { iss, keyId } = request.params;
      requireOwner(request, iss);
      const record = await ctx.store.getApiKey(keyId);
      if (!record || record.projectId !== iss) {
        throw new RegistryError(
          'not-found',
          `Provider ${JSON.stringify(iss)} has no API key ${keyId}`,
          {
            pointer: '/keyId',
          },
        );
      }
      await ctx.auth.revokeKey(keyId);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { iss: string }; Body: TrustJwksBody }>(
    '/v1/providers/:iss/keys',
    {
      onRequest: app.requireAuth,
      // Before the schema: a private member gets a message that says what went wrong.
      preValidation: async (request) => {
        const keys = (request.body as { keys?: unknown } | undefined)?.keys;
        if (!Array.isArray(keys)) return;
        keys.forEach((key, i) => {
          const found = PRIVATE_MEMBERS.find(
            (m) => key !== null && typeof key === 'object' && m in key,
          );
          if (found) {
            throw new RegistryError(
              'invalid-key',
              `keys[${i}] carries the private member "${found}": send the public JWKS (jwks.json), never a private key`,
              { pointer: `/keys/${i}/${found}` },
            );
          }
        });
      },
      schema: {
        tags: ['keys'],
        summary:
          'Add keys to the provider, or narrow known ones: retire (status retired + notAfter) or revoke (publisher of iss)',
        security: API_KEY,
        params: IssParams,
        body: TrustJwksBody,
        response: {
          200: KeysReply,
          201: KeysReply,
          ...problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { iss } = request.params;
      requireOwner(request, iss);
      await requireProvider(ctx, iss);
      const { keys } = request.body;
      const kids = new Set<string>();
      keys.forEach((key, i) => {
        if (key.iss !== iss) {
          throw new RegistryError(
            'key-provider-mismatch',
            `keys[${i}] is bound to ${JSON.stringify(key.iss)}; keys added to ${JSON.stringify(iss)} must say "iss": ${JSON.stringify(iss)}`,
            { pointer: `/keys/${i}/iss` },
          );
        }
        if (kids.has(key.kid)) {
          throw new RegistryError('invalid-request', `keys[${i}] repeats kid ${key.kid}`, {
            pointer: `/keys/${i}/kid`,
          });
        }
        kids.add(key.kid);
      });
      let trust: TrustStore;
      try {
        trust = await TrustStore.fromJwks(request.body);
      } catch (error) {
        if (error instanceof EtdiError) {
          throw new RegistryError('invalid-key', error.message, {
            cause: error,
            ...(error.pointer === undefined ? {} : { pointer: error.pointer }),
          });
        }
        throw error;
      }
      const statements: KeyStatement[] = keys.map((key) => {
        const imported = trust.get(key.kid)!;
        const jwk: PublicJwk = { kty: key.kty as PublicJwk['kty'] };
        for (const m of KEY_MEMBERS) if (key[m] !== undefined) jwk[m] = key[m];
        Object.assign(jwk, { kid: imported.kid, alg: imported.alg, use: 'sig' });
        return {
          kid: imported.kid,
          jwk,
          status: key.status ?? 'active',
          ...(key.notBefore === undefined ? {} : { notBefore: key.notBefore }),
          ...(key.notAfter === undefined ? {} : { notAfter: key.notAfter }),
        };
      });
      const result = await ctx.store.addKeys(
        iss,
        statements,
        narrowKey,
        new Date(ctx.now()).toISOString(),
      );
      if (!result.ok) {
        throw new RegistryError(
          'key-conflict',
          `Key ${result.kid} is bound to provider ${JSON.stringify(result.boundTo)}; a key id is bound to one provider, forever`,
          {
            pointer: `/keys/${keys.findIndex((k) => k.kid === result.kid)}/kid`,
            details: { kid: result.kid },
          },
        );
      }
      const changed = result.keys.some((k) => k.outcome !== 'unchanged');
      return reply.code(changed ? 201 : 200).send({
        keys: result.keys.map((k) => trustJwkOf(k.record)),
        results: result.keys.map((k) => ({ kid: k.record.kid, outcome: k.outcome })),
      });
    },
  );
}
