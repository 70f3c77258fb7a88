import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AuthResult,
  authHook,
  createAuthenticator,
  etdiAuth,
  type AuthProvider,
  type EtdiAuthOptions,
} from '@etdi/auth';
import { StubProvider } from './support/stub-provider.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function app(provider: AuthProvider, options: Omit<EtdiAuthOptions, 'authenticator'> = {}) {
  const fastify = Fastify();
  apps.push(fastify);
  await fastify.register(etdiAuth, {
    authenticator: createAuthenticator({ providers: [provider] }),
    ...options,
  });
  fastify.get('/mcp', async (request) => request.auth);
  fastify.get('/.well-known/oauth-protected-resource', async (request) => ({
    resource: 'x',
    auth: request.auth,
  }));
  await fastify.ready();
  return fastify;
}

const alice = () => new StubProvider('p', (s) => s.ok({ userId: 'alice', permissions: ['x'] }));
const nobody = () => new StubProvider('p', (s) => s.none());

describe('the etdiAuth plugin and its hook', () => {
  it('passes a success on to the route as request.auth', async () => {
    const fastify = await app(alice());
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ userId: 'alice', permissions: ['x'], isSuccess: true });
  });

  it('answers 401 as problem+json with an RFC 6750 challenge naming the error and the RFC 9728 metadata', async () => {
    const fastify = await app(
      new StubProvider('p', (s) => s.no('expired', 'token-expired', 'JWT has expired')),
      {
        realm: 'mcp',
        resourceMetadataUrl: 'https://gw.example/.well-known/oauth-protected-resource',
      },
    );
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="mcp", error="invalid_token", error_description="JWT has expired", resource_metadata="https://gw.example/.well-known/oauth-protected-resource"',
    );
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'JWT has expired',
      code: 'token-expired',
    });
  });

  it('answers 403 insufficient_scope', async () => {
    const fastify = await app(
      new StubProvider('p', (s) => s.no('insufficient-permissions', 'insufficient-scope')),
    );
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.json()).toMatchObject({
      status: 403,
      title: 'Forbidden',
      code: 'insufficient-scope',
    });
  });

  it('answers 429 with Retry-After in seconds', async () => {
    const fastify = await app(
      new StubProvider('p', (s) =>
        s.no('rate-limited', 'rate-limit-exceeded', 'slow down', { retryAfterMs: 1_500 }),
      ),
    );
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.json()).toMatchObject({ status: 429, code: 'rate-limit-exceeded' });
  });

  it('answers 503 when a dependency failed', async () => {
    const fastify = await app(new StubProvider('p', (s) => s.no('error', 'jwks-unavailable')));
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 503, code: 'jwks-unavailable' });
  });

  it('adds a Basic challenge when the chain accepts Basic credentials', async () => {
    const fastify = await app(new StubProvider('p', (s) => s.none(), { method: 'basic-auth' }));
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.headers['www-authenticate']).toEqual([
      'Bearer realm="etdi"',
      'Basic realm="etdi", charset="UTF-8"',
    ]);
  });

  it('skips the routes it is told to, leaving request.auth null', async () => {
    const p = nobody();
    const fastify = await app(p, { skip: (req) => req.url.startsWith('/.well-known/') });
    const res = await fastify.inject({ url: '/.well-known/oauth-protected-resource' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ resource: 'x', auth: null });
    expect(p.calls).toBe(0);
  });

  it('refuses anonymous acceptances when told to', async () => {
    const anonymous = new StubProvider('p', (s) => s.ok({ anonymous: true }));
    expect((await (await app(anonymous)).inject({ url: '/mcp' })).statusCode).toBe(200);
    const strict = await app(anonymous, { allowAnonymous: false });
    const res = await strict.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'no-credentials' });
  });

  it('sends a metadata URL per route when given a function of the request', async () => {
    const fastify = Fastify();
    apps.push(fastify);
    await fastify.register(etdiAuth, {
      authenticator: createAuthenticator({ providers: [nobody()] }),
      resourceMetadataUrl: (request) =>
        `https://gw.example/.well-known/oauth-protected-resource/servers/${(request.params as { name: string }).name}/mcp`,
    });
    fastify.post('/servers/:name/mcp', async () => 'never');
    for (const name of ['files', 'github']) {
      const res = await fastify.inject({ method: 'POST', url: `/servers/${name}/mcp` });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="etdi", resource_metadata="https://gw.example/.well-known/oauth-protected-resource/servers/${name}/mcp"`,
      );
    }
  });

  it('with global: false, authenticates only the routes that name app.requireAuth', async () => {
    const p = nobody();
    const fastify = Fastify();
    apps.push(fastify);
    await fastify.register(etdiAuth, {
      authenticator: createAuthenticator({ providers: [p] }),
      global: false,
    });
    fastify.get('/v1/tools', async (request) => ({ auth: request.auth }));
    fastify.post('/v1/tools', { onRequest: fastify.requireAuth }, async () => 'stored');
    const read = await fastify.inject({ url: '/v1/tools' });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ auth: null });
    expect(p.calls).toBe(0);
    const write = await fastify.inject({ method: 'POST', url: '/v1/tools' });
    expect(write.statusCode).toBe(401);
    expect(write.json()).toMatchObject({ code: 'no-credentials' });
    expect(p.calls).toBe(1);
  });

  it('authenticates only under the prefix it is registered in', async () => {
    const fastify = Fastify();
    apps.push(fastify);
    fastify.get('/healthz', async (request) => ({ auth: request.auth ?? null }));
    await fastify.register(
      async (admin) => {
        await admin.register(etdiAuth, {
          authenticator: createAuthenticator({ providers: [alice()] }),
        });
        admin.get('/tools', async (request) => ({ user: request.auth?.userId }));
      },
      { prefix: '/admin' },
    );
    expect((await fastify.inject({ url: '/admin/tools' })).json()).toEqual({ user: 'alice' });
    expect((await fastify.inject({ url: '/healthz' })).json()).toEqual({ auth: null });
  });

  it('can be registered at the root and again in a child context', async () => {
    const fastify = Fastify();
    apps.push(fastify);
    await fastify.register(etdiAuth, {
      authenticator: createAuthenticator({ providers: [nobody()] }),
      global: false,
    });
    await fastify.register(async (child) => {
      await child.register(etdiAuth, {
        authenticator: createAuthenticator({ providers: [alice()] }),
      });
      child.get('/child', async (request) => ({ user: request.auth?.userId }));
    });
    fastify.get('/root', async (request) => ({ auth: request.auth }));
    expect((await fastify.inject({ url: '/child' })).json()).toEqual({ user: 'alice' });
    expect((await fastify.inject({ url: '/root' })).json()).toEqual({ auth: null });
  });

  it('hands results to a callback instead of decorating the request', async () => {
    const seen: AuthResult[] = [];
    const fastify = Fastify();
    apps.push(fastify);
    fastify.addHook(
      'onRequest',
      authHook(
        createAuthenticator({ providers: [new StubProvider('p', (s) => s.ok({ userId: 'u' }))] }),
        {
          onAuthenticated: (_req, result) => seen.push(result),
        },
      ),
    );
    fastify.get('/', async () => 'ok');
    await fastify.inject({ url: '/' });
    expect(seen.map((r) => r.userId)).toEqual(['u']);
  });
});
