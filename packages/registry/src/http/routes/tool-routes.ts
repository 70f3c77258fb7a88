import { isSemanticVersion } from '@etdi/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { RegistryError } from '../../errors.js';
import { publishTools } from '../../service/publish-tools.js';
import { latestVersion, newestFirst, versionStatus } from '../../service/tool-status.js';
import { VersionCache, type CachedVersion } from '../../service/version-cache.js';
import type { ToolIdentity, ToolRecord } from '../../store/registry-store.js';
import { principalOf, requireOwner } from '../auth.js';
import { IMMUTABLE, REVALIDATE, ifNoneMatchMatches, strongEtag } from '../caching.js';
import type { RegistryContext } from '../context.js';
import { API_KEY, problems } from '../route-schema.js';
import {
  ListToolsQuery,
  PublishBody,
  PublishReply,
  SignedToolReply,
  ToolListReply,
  ToolParams,
  VersionParams,
  VersionStatusBody,
  VersionStatusReply,
  VersionsReply,
} from '../schemas.js';

const DEFAULT_LIMIT = 50;

function encodeCursor(t: ToolIdentity): string {
  return Buffer.from(JSON.stringify([t.iss, t.sub])).toString('base64url');
}

function decodeCursor(cursor: string): ToolIdentity {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return { iss: value[0] as string, sub: value[1] as string };
    }
  } catch {
    // Reported below.
  }
  throw new RegistryError(
    'invalid-request',
    'Invalid query: /cursor: not a cursor this registry gave out',
    {
      pointer: '/cursor',
      details: { in: 'query' },
    },
  );
}

function cachedOf(record: ToolRecord): CachedVersion {
  const body = Buffer.from(record.body, 'utf8');
  return { body, etag: strongEtag(body), receipt: record.receipt };
}

function notFound(iss: string, name: string, ver?: string): RegistryError {
  return new RegistryError(
    'not-found',
    `No tool ${iss}/${name}${ver === undefined ? '' : `@${ver}`} in this registry`,
  );
}

/** A version as served, from the in-process cache or the store (then cached). */
async function versionEntry(
  ctx: RegistryContext,
  iss: string,
  name: string,
  ver: string,
): Promise<CachedVersion> {
  const key = VersionCache.key(iss, name, ver);
  let entry = ctx.versions.get(key);
  if (!entry) {
    const record = await ctx.store.getTool(iss, name, ver);
    if (!record) throw notFound(iss, name, ver);
    entry = cachedOf(record);
    ctx.versions.set(key, entry);
  }
  return entry;
}

/** Serves a version's bytes with its receipt; a matching `If-None-Match` gets 304. */
function sendVersion(
  reply: FastifyReply,
  entry: CachedVersion,
  cacheControl: string,
  ifNoneMatch: string | undefined,
): FastifyReply {
  reply
    .header('etag', entry.etag)
    .header('cache-control', cacheControl)
    .header('etdi-receipt', entry.receipt);
  if (ifNoneMatchMatches(ifNoneMatch, entry.etag)) return reply.code(304).send();
  return reply.header('content-type', 'application/json; charset=utf-8').send(entry.body);
}

/** Publishing, listing and fetching tools; deprecating and yanking versions. */
export async function toolRoutes(app: FastifyInstance, ctx: RegistryContext): Promise<void> {
  app.post<{ Body: PublishBody }>(
    '/v1/tools',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['tools'],
        summary:
          'Publish signed tools, all or nothing: 201, or 200 when all were already stored identically',
        description:
          "Each tool is verified against its provider's registered keys. 403 `not-owner` for a tool of another provider; 422 with the reason code of the first refused tool; 409 `rug-pull` when a version exists with another digest or other perms.",
        security: API_KEY,
        body: PublishBody,
        response: {
          200: PublishReply,
          201: PublishReply,
          ...problems(400, 401, 403, 409, 413, 415, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const outcome = await publishTools(ctx, principalOf(request), request.body.tools);
      const created = outcome.tools.filter((t) => t.outcome === 'created').length;
      ctx.metrics.published('created', created);
      ctx.metrics.published('unchanged', outcome.tools.length - created);
      return reply.code(outcome.created ? 201 : 200).send({ tools: outcome.tools });
    },
  );

  app.get<{ Querystring: ListToolsQuery }>(
    '/v1/tools',
    {
      schema: {
        tags: ['tools'],
        summary: 'List tools (one entry per iss/name), paged by cursor',
        querystring: ListToolsQuery,
        response: { 200: ToolListReply, ...problems(400, 429, 503) },
      },
    },
    async (request, reply) => {
      const { iss, q, cursor } = request.query;
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const page = await ctx.store.listTools({
        ...(iss === undefined ? {} : { iss }),
        ...(q === undefined ? {} : { q }),
        ...(cursor === undefined ? {} : { after: decodeCursor(cursor) }),
        limit: limit + 1,
      });
      const more = page.length > limit;
      const shown = more ? page.slice(0, limit) : page;
      const [versions, revocations] = await Promise.all([
        ctx.store.versionsOf(shown),
        ctx.revocations.list(),
      ]);
      const byTool = new Map<string, typeof versions>();
      for (const v of versions) {
        const key = JSON.stringify([v.iss, v.sub]);
        byTool.set(key, [...(byTool.get(key) ?? []), v]);
      }
      const tools = shown.map((t) => {
        const all = byTool.get(JSON.stringify([t.iss, t.sub])) ?? [];
        const latest = latestVersion(all, revocations);
        const described = latest ?? newestFirst(all)[0];
        return {
          iss: t.iss,
          name: t.sub,
          latest: latest?.ver ?? null,
          ...(described?.title === undefined ? {} : { title: described.title }),
          ...(described?.description === undefined ? {} : { description: described.description }),
          versions: all.length,
        };
      });
      reply.header('cache-control', REVALIDATE);
      return { tools, nextCursor: more ? encodeCursor(shown[shown.length - 1]!) : null };
    },
  );

  app.get<{ Params: { iss: string; name: string } }>(
    '/v1/tools/:iss/:name',
    {
      schema: {
        tags: ['tools'],
        summary: 'The versions of a tool with their status (active, deprecated, yanked)',
        params: ToolParams,
        response: { 200: VersionsReply, ...problems(400, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const { iss, name } = request.params;
      const [versions, revocations] = await Promise.all([
        ctx.store.listVersions(iss, name),
        ctx.revocations.list(),
      ]);
      if (versions.length === 0) throw notFound(iss, name);
      reply.header('cache-control', REVALIDATE);
      return {
        iss,
        name,
        latest: latestVersion(versions, revocations)?.ver ?? null,
        versions: newestFirst(versions).map((v) => ({
          ver: v.ver,
          dig: v.dig,
          perms: [...v.perms],
          kid: v.kid,
          status: versionStatus(v, revocations),
          publishedAt: v.publishedAt,
        })),
      };
    },
  );

  app.get<{ Params: { iss: string; name: string; ver: string } }>(
    '/v1/tools/:iss/:name/:ver',
    {
      schema: {
        tags: ['tools'],
        summary:
          'The signed tool, byte for byte as published, with the ETDI-Receipt header; `latest` for the newest usable version',
        params: VersionParams,
        response: {
          200: {
            ...SignedToolReply,
            headers: {
              'etdi-receipt': {
                type: 'string',
                description:
                  'JWS by the registry key (typ etdi-receipt+jwt; iss = registry id, sub = iss/name@ver, dig, iat)',
              },
            },
          },
          ...problems(400, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { iss, name, ver } = request.params;
      const ifNoneMatch = request.headers['if-none-match'];
      if (ver === 'latest') {
        const [versions, revocations] = await Promise.all([
          ctx.store.listVersions(iss, name),
          ctx.revocations.list(),
        ]);
        const latest = latestVersion(versions, revocations);
        if (!latest) throw notFound(iss, name, 'latest');
        const entry = await versionEntry(ctx, iss, name, latest.ver);
        reply.header(
          'content-location',
          `/v1/tools/${encodeURIComponent(iss)}/${name}/${latest.ver}`,
        );
        return sendVersion(reply, entry, REVALIDATE, ifNoneMatch);
      }
      if (!isSemanticVersion(ver)) {
        throw new RegistryError(
          'invalid-request',
          `Invalid path: /ver: ${JSON.stringify(ver)} is neither a semantic version (e.g. 1.2.0) nor "latest"`,
          { pointer: '/ver', details: { in: 'path' } },
        );
      }
      return sendVersion(reply, await versionEntry(ctx, iss, name, ver), IMMUTABLE, ifNoneMatch);
    },
  );

  app.patch<{ Params: { iss: string; name: string; ver: string }; Body: VersionStatusBody }>(
    '/v1/tools/:iss/:name/:ver',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['tools'],
        summary:
          'Deprecate, un-deprecate or yank a version (publisher of iss, or admin); yanking puts it on the revocation list',
        security: API_KEY,
        params: VersionParams,
        body: VersionStatusBody,
        response: {
          200: VersionStatusReply,
          ...problems(400, 401, 403, 404, 409, 413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const { iss, name, ver } = request.params;
      requireOwner(request, iss);
      const { status, reason } = request.body;
      const record = await ctx.store.getTool(iss, name, ver);
      if (!record) throw notFound(iss, name, ver);
      const current = versionStatus(record, await ctx.revocations.list());
      if (status === 'yanked') {
        if (current !== 'yanked') {
          await ctx.store.addRevocation({
            iss,
            sub: name,
            ver,
            revokedAt: new Date(ctx.now()).toISOString(),
            ...(reason === undefined ? {} : { reason }),
          });
        }
        return { iss, name, ver, status: 'yanked' as const };
      }
      if (current === 'yanked') {
        throw new RegistryError(
          'version-yanked',
          `${iss}/${name}@${ver} is yanked; a yanked version stays on the revocation list: publish a new version`,
        );
      }
      await ctx.store.setToolStatus(iss, name, ver, status);
      return { iss, name, ver, status };
    },
  );
}
