import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';

export interface TestAuthorizationServer {
  readonly base: string;
  /** Introspection answers by access token; unknown tokens are `{ active: false }`. */
  readonly tokens: Map<string, Record<string, unknown>>;
  /** UserInfo answers by access token; unknown tokens get 401. */
  readonly userinfo: Map<string, Record<string, unknown>>;
  /** Refresh token → subject and scope of the access tokens it yields. */
  readonly refreshTokens: Map<string, { sub: string; scope: string; exp: number }>;
  readonly calls: { introspect: number; userinfo: number; token: number };
  /** Replace the introspection answer with this status/body. */
  failWith: { status: number; body: unknown } | undefined;
  readonly seen: { authorization?: string; form?: Record<string, string> }[];
  close(): Promise<void>;
}

export const CLIENT_ID = 'etdi gateway';
export const CLIENT_SECRET = 's3cr3t:with/odd&chars';

function clientOk(authorization: string | undefined, form: Record<string, string>): boolean {
  if (form.client_id !== undefined) {
    return form.client_id === CLIENT_ID && form.client_secret === CLIENT_SECRET;
  }
  if (!authorization?.startsWith('Basic ')) return false;
  const [id, secret] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
  const decode = (v: string | undefined) => decodeURIComponent((v ?? '').replace(/\+/g, ' '));
  return decode(id) === CLIENT_ID && decode(secret) === CLIENT_SECRET;
}

/** A small RFC 7662 / OIDC UserInfo / RFC 6749 token endpoint server on 127.0.0.1. */
export async function startAuthorizationServer(): Promise<TestAuthorizationServer> {
  const app: FastifyInstance = Fastify();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  const state: TestAuthorizationServer = {
    base: '',
    tokens: new Map(),
    userinfo: new Map(),
    refreshTokens: new Map(),
    calls: { introspect: 0, userinfo: 0, token: 0 },
    failWith: undefined,
    seen: [],
    close: () => app.close(),
  };
  let issued = 0;

  app.post('/introspect', async (request, reply) => {
    state.calls.introspect++;
    const form = request.body as Record<string, string>;
    state.seen.push({ authorization: request.headers.authorization, form });
    if (state.failWith) return reply.code(state.failWith.status).send(state.failWith.body);
    if (!clientOk(request.headers.authorization, form))
      return reply.code(401).send({ error: 'invalid_client' });
    return state.tokens.get(form.token ?? '') ?? { active: false };
  });

  app.get('/userinfo', async (request, reply) => {
    state.calls.userinfo++;
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const claims = state.userinfo.get(token);
    if (!claims) return reply.code(401).send({ error: 'invalid_token' });
    return claims;
  });

  app.post('/token', async (request, reply) => {
    state.calls.token++;
    const form = request.body as Record<string, string>;
    if (!clientOk(request.headers.authorization, form))
      return reply.code(401).send({ error: 'invalid_client' });
    if (form.grant_type !== 'refresh_token')
      return reply.code(400).send({ error: 'unsupported_grant_type' });
    const grant = state.refreshTokens.get(form.refresh_token ?? '');
    if (!grant) return reply.code(400).send({ error: 'invalid_grant' });
    state.refreshTokens.delete(form.refresh_token!);
    issued++;
    const accessToken = `access-${issued}-${Math.random().toString(36).slice(2)}`;
    const refreshToken = `refresh-${issued}-${Math.random().toString(36).slice(2)}`;
    state.tokens.set(accessToken, {
      active: true,
      sub: grant.sub,
      scope: grant.scope,
      exp: grant.exp,
    });
    state.refreshTokens.set(refreshToken, grant);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: refreshToken,
      scope: grant.scope,
    };
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return Object.assign(state, { base: `http://127.0.0.1:${port}` });
}
