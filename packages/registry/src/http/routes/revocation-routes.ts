import type { RevocationEntry } from '@etdi/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RegistryError } from '../../errors.js';
import { mayActFor, principalOf, requireOwner } from '../auth.js';
import type { RegistryContext } from '../context.js';
import { API_KEY, problems } from '../route-schema.js';
import { RevocationBody, RevocationReply } from '../schemas.js';

function shapeError(message: string, pointer = ''): RegistryError {
  return new RegistryError('invalid-request', `Invalid request body: ${message}`, { pointer });
}

/** The entry a request asks for, after the ownership rules of its shape. */
async function entryFor(
  ctx: RegistryContext,
  request: FastifyRequest,
  body: RevocationBody,
): Promise<RevocationEntry> {
  const { kid, iss, sub, ver, dig, reason } = body;
  const forms = [
    kid !== undefined,
    iss !== undefined || sub !== undefined || ver !== undefined,
    dig !== undefined,
  ];
  if (forms.filter(Boolean).length !== 1) {
    throw shapeError('give exactly one of {"kid"}, {"iss", "sub"[, "ver"]} or {"dig"}');
  }
  const base = {
    revokedAt: new Date(ctx.now()).toISOString(),
    ...(reason === undefined ? {} : { reason }),
  };
  const admin = principalOf(request).role === 'admin';
  if (kid !== undefined) {
    const key = await ctx.store.getKey(kid);
    // A publisher revokes its own keys; only an admin may revoke a key the registry does not know.
    if (key) requireOwner(request, key.iss, '/kid');
    else if (!admin)
      throw new RegistryError('not-found', `No key ${kid} in this registry`, { pointer: '/kid' });
    return { kid, ...base };
  }
  if (dig !== undefined) {
    const tools = await ctx.store.toolsByDigest(dig);
    // Content can be published by several providers: a publisher may revoke it only when all of
    // it is its own, or it would withdraw another provider's tool.
    const foreign = tools.find((t) => !mayActFor(request, t.iss));
    if (foreign) requireOwner(request, foreign.iss, '/dig');
    if (tools.length === 0 && !admin) {
      throw new RegistryError('not-found', `No published tool has digest ${dig}`, {
        pointer: '/dig',
      });
    }
    return { dig, ...base };
  }
  if (iss === undefined) throw shapeError('"sub" and "ver" need "iss"', '/iss');
  if (sub === undefined)
    throw shapeError('"iss" needs "sub" (revoking a whole provider is not offered)', '/sub');
  requireOwner(request, iss, '/iss');
  if (ver !== undefined) {
    if (!(await ctx.store.getTool(iss, sub, ver))) {
      throw new RegistryError('not-found', `No tool ${iss}/${sub}@${ver} in this registry`, {
        pointer: '/ver',
      });
    }
    return { iss, sub, ver, ...base };
  }
  if ((await ctx.store.listVersions(iss, sub)).length === 0) {
    throw new RegistryError('not-found', `No tool ${iss}/${sub} in this registry`, {
      pointer: '/sub',
    });
  }
  return { iss, sub, ...base };
}

/** `POST /v1/revocations` and `GET /v1/revocations` (the registry-signed list, wire format §4). */
export async function revocationRoutes(app: FastifyInstance, ctx: RegistryContext): Promise<void> {
  app.post<{ Body: RevocationBody }>(
    '/v1/revocations',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['revocations'],
        summary:
          'Revoke a key {kid}, a tool {iss, sub}, a version {iss, sub, ver} or a content {dig} (publisher of its provider, or admin)',
        description:
          '201 with the new entry and the sequence number of the list holding it; 200 when an entry with the same members exists (nothing changes).',
        security: API_KEY,
        body: RevocationBody,
        response: {
          200: RevocationReply,
          201: RevocationReply,
          ...problems(400, 401, 403, 404, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const entry = await entryFor(ctx, request, request.body);
      const result = await ctx.store.addRevocation(entry);
      return reply.code(result.created ? 201 : 200).send({ entry: result.entry, seq: result.seq });
    },
  );

  app.get(
    '/v1/revocations',
    {
      schema: {
        tags: ['revocations'],
        summary: 'The revocation list: a compact JWS by the registry key (application/jwt)',
        description:
          'Claims iss (registry id), seq (never goes backwards, shared by every node), iat, exp (one hour ahead by default), entries. Re-signed when it changes and before it expires.',
        response: {
          200: { type: 'string', description: 'application/jwt' },
          ...problems(429, 503),
        },
      },
    },
    async (_request, reply) => {
      const list = await ctx.revocations.current();
      const left = Math.max(0, list.exp - Math.floor(ctx.now() / 1000));
      reply
        .header('content-type', 'application/jwt')
        .header('cache-control', `public, max-age=${Math.min(60, left)}`);
      return list.jws;
    },
  );
}
