import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { type AuthResult, authHook, createAuthenticator, type AuthProvider } from '@etdi/auth';
import { StubProvider } from './support/stub-provider.js';

async function app(provider: AuthProvider, options: Parameters<typeof authHook>[1] = {}) {
  const fastify = Fastify();
  fastify.decorateRequest('auth', null);
  fastify.addHook('onRequest', authHook(createAuthenticator({ providers: [provider] }), options));
  fastify.get('/mcp', async (request) => (request as unknown as { auth: AuthResult }).auth);
  fastify.get('/.well-known/oauth-protected-resource', async () => ({ resource: 'x' }));
  await fastify.ready();
  return fastify;
}

describe('authHook', () => {
  it('passes a success on to the route as request.auth', async () => {
    const fastify = await app(
      new StubProvider('p', (s) => s.ok({ userId: 'alice', permissions: ['x'] })),
    );
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ userId: 'alice', permissions: ['x'], isSuccess: true });
  });

  it('answers 401 with an RFC 6750 challenge naming the error and the RFC 9728 metadata', async () => {
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
    expect(res.json()).toEqual({
      error: 'token-expired',
      status: 'expired',
      message: 'JWT has expired',
    });
  });

  it('answers 403 insufficient_scope', async () => {
    const fastify = await app(
      new StubProvider('p', (s) => s.no('insufficient_permissions', 'insufficient-scope')),
    );
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  it('answers 429 with Retry-After in seconds', async () => {
    const fastify = await app(
      new StubProvider('p', (s) =>
        s.no('rate_limited', 'rate-limit-exceeded', 'slow down', { retryAfterMs: 1_500 }),
      ),
    );
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('answers 503 when a dependency failed', async () => {
    const fastify = await app(new StubProvider('p', (s) => s.no('error', 'jwks-unavailable')));
    expect((await fastify.inject({ url: '/mcp' })).statusCode).toBe(503);
  });

  it('adds a Basic challenge when the chain accepts Basic credentials', async () => {
    const fastify = await app(new StubProvider('p', (s) => s.none(), { method: 'basic_auth' }));
    const res = await fastify.inject({ url: '/mcp' });
    expect(res.headers['www-authenticate']).toEqual([
      'Bearer realm="etdi"',
      'Basic realm="etdi", charset="UTF-8"',
    ]);
  });

  it('skips the routes it is told to', async () => {
    const p = new StubProvider('p', (s) => s.none());
    const fastify = await app(p, { skip: (req) => req.url?.startsWith('/.well-known/') ?? false });
    expect(
      (await fastify.inject({ url: '/.well-known/oauth-protected-resource' })).statusCode,
    ).toBe(200);
    expect(p.calls).toBe(0);
  });

  it('refuses anonymous acceptances when told to', async () => {
    const anonymous = new StubProvider('p', (s) => s.ok({ anonymous: true }));
    expect((await (await app(anonymous)).inject({ url: '/mcp' })).statusCode).toBe(200);
    const strict = await app(anonymous, { allowAnonymous: false });
    const res = await strict.inject({ url: '/mcp' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'no-credentials' });
  });

  it('hands results to a callback instead of decorating the request', async () => {
    const seen: AuthResult[] = [];
    const fastify = Fastify();
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
