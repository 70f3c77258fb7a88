/**
 * A small real registry for the guard's tests, over a real socket: the read routes of the
 * DESIGN.md "Registry HTTP API" table, served from real signed data (tools signed with core, a
 * revocation list signed by the registry key, receipts), with strong ETags and 304s. It stands
 * in for @etdi/registry until that lands on main.
 */
import { createHash } from 'node:crypto';
import {
  buildTrustJwks,
  generateKeyPair,
  importSigningKey,
  signRevocationList,
  toolDigest,
  type RevocationEntry,
  type SignedTool,
  type SigningKey,
  type TrustJwks,
} from '@etdi/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CompactSign } from 'jose';
import type { Provider } from './fixtures.js';

export interface TestRegistry {
  readonly url: string;
  readonly id: string;
  /** Requests by route and status, e.g. `GET /v1/revocations 304`. */
  readonly requests: Map<string, number>;
  /** Serve these signed tools (byte for byte as given). */
  publish(...tools: SignedTool[]): Promise<void>;
  /** Trust JWKS of the providers' keys (with status and dates). */
  setKeys(jwks: TrustJwks): void;
  /** Add an entry to the revocation list (a new `seq`). */
  revoke(entry: Omit<RevocationEntry, 'revokedAt'>): Promise<void>;
  /** Re-sign the list (same entries, same `seq`, a new `exp`). */
  resign(): Promise<void>;
  /** Make every route answer 503 (true) or serve again (false). */
  failing(down: boolean): void;
  close(): Promise<void>;
}

export interface TestRegistryOptions {
  /** The clock the registry signs its list with (epoch ms). */
  readonly now: () => number;
  readonly providers: readonly Provider[];
  /** Lifetime of the revocation list. Default 1h. */
  readonly listLifetime?: string;
}

const etagOf = (body: string) => `"${createHash('sha256').update(body).digest('base64url')}"`;

function send(request: FastifyRequest, reply: FastifyReply, body: string, type: string) {
  const etag = etagOf(body);
  reply.header('etag', etag);
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.type(type).send(body);
}

export async function startTestRegistry(options: TestRegistryOptions): Promise<TestRegistry> {
  const id = 'registry.test';
  const pair = await generateKeyPair('EdDSA', { iss: id });
  const key: SigningKey = await importSigningKey(pair.privateJwk);
  const ownKeys = await buildTrustJwks([{ jwk: pair.publicJwk, iss: id }]);
  let keys: TrustJwks = await buildTrustJwks(
    options.providers.map((p) => ({ jwk: p.publicJwk, iss: p.iss })),
  );
  const tools: { body: string; tool: SignedTool; dig: string; receipt: string }[] = [];
  const entries: RevocationEntry[] = [];
  let seq = 0;
  let list = '';
  let down = false;
  const requests = new Map<string, number>();
  const sign = async () => {
    list = await signRevocationList(entries, {
      key,
      issuer: id,
      seq,
      expiresIn: options.listLifetime ?? '1h',
      now: options.now(),
    });
  };
  await sign();

  const app: FastifyInstance = Fastify();
  app.addHook('onRequest', async (_request, reply) => {
    if (down) return reply.code(503).send({ code: 'unavailable' });
    return undefined;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = `${request.method} ${request.routeOptions.url ?? request.url} ${reply.statusCode}`;
    requests.set(route, (requests.get(route) ?? 0) + 1);
  });
  app.get('/.well-known/etdi-registry', (request, reply) =>
    send(
      request,
      reply,
      JSON.stringify({ id, jwks_uri: 'x', revocations_uri: 'x', keys: ownKeys }),
      'application/json',
    ),
  );
  app.get('/.well-known/jwks.json', (request, reply) =>
    send(request, reply, JSON.stringify(keys), 'application/json'),
  );
  app.get('/v1/revocations', (request, reply) => send(request, reply, list, 'application/jwt'));
  app.get<{ Params: { dig: string } }>('/v1/digests/:dig', (request, reply) => {
    const found = tools.filter((t) => t.dig === request.params.dig);
    return send(
      request,
      reply,
      `{"tools":[${found.map((t) => t.body).join(',')}],"receipts":${JSON.stringify(found.map((t) => t.receipt))}}`,
      'application/json',
    );
  });
  const claimsOf = (t: SignedTool) =>
    JSON.parse(
      Buffer.from(t._meta['io.etdi/signature'].split('.')[1]!, 'base64url').toString('utf8'),
    ) as { iss: string; sub: string; ver: string };
  app.get<{ Params: { iss: string; name: string } }>('/v1/tools/:iss/:name', (request, reply) => {
    const { iss, name } = request.params;
    const versions = tools
      .map((t) => claimsOf(t.tool))
      .filter((c) => c.iss === iss && c.sub === name)
      .map((c) => ({ ver: c.ver, status: 'active' }));
    if (versions.length === 0) return reply.code(404).send({ code: 'not-found' });
    return { iss, name, latest: versions.at(-1)!.ver, versions };
  });
  app.get<{ Params: { iss: string; name: string; ver: string } }>(
    '/v1/tools/:iss/:name/:ver',
    (request, reply) => {
      const { iss, name, ver } = request.params;
      const found = tools.find((t) => {
        const c = claimsOf(t.tool);
        return c.iss === iss && c.sub === name && c.ver === ver;
      });
      if (!found) return reply.code(404).send({ code: 'not-found' });
      reply.header('etdi-receipt', found.receipt);
      return send(request, reply, found.body, 'application/json');
    },
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    url,
    id,
    requests,
    async publish(...signed) {
      for (const tool of signed) {
        const c = claimsOf(tool);
        const dig = toolDigest(tool);
        const receipt = await new CompactSign(
          Buffer.from(
            JSON.stringify({
              iss: id,
              sub: `${c.iss}/${c.sub}@${c.ver}`,
              dig,
              iat: Math.floor(options.now() / 1000),
            }),
          ),
        )
          .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'etdi-receipt+jwt' })
          .sign(key.privateKey);
        tools.push({ body: JSON.stringify(tool), tool, dig, receipt });
      }
    },
    setKeys(jwks) {
      keys = jwks;
    },
    async revoke(entry) {
      entries.push({ ...entry, revokedAt: new Date(options.now()).toISOString() });
      seq++;
      await sign();
    },
    resign: sign,
    failing(value) {
      down = value;
    },
    close: () => app.close(),
  };
}
