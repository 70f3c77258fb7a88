/** The gateway as a plugin in an operator's own Fastify app, tested with app.inject(). */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../src/config/validate-config.js';
import { etdiGateway } from '../src/plugin.js';
import { DropToolGuard } from './support/drop-guard.js';
import { apiKeyAuth, caller } from './support/gateway.js';

const alice = caller('alice', ['etdi:admin']);
const bob = caller('bob');

async function app(guard = new DropToolGuard('none')) {
  const server = Fastify();
  server.get('/own', async () => ({ mine: true }));
  const config = validateGatewayConfig({
    publicUrl: 'http://gw.test',
    auth: apiKeyAuth(alice, bob),
    trust: {},
    upstreams: { files: { url: 'http://127.0.0.1:9/mcp', providers: ['com.test'] } },
  });
  await server.register(etdiGateway, {
    config,
    guard,
    adminRoutes: async (admin, { guard: g }) => {
      admin.get('/tools', async () => ({ ready: g.readiness().ok }));
    },
  });
  return server;
}

describe('etdiGateway plugin', () => {
  it("leaves the operator's own routes alone and decorates the instance", async () => {
    const server = await app();
    const own = await server.inject({ method: 'GET', url: '/own' });
    expect(own.statusCode).toBe(200);
    expect(server.etdiGateway?.upstreams.has('files')).toBe(true);
    await server.close();
  });

  it('closes the guard with the app', async () => {
    const guard = new DropToolGuard('none');
    const server = await app(guard);
    await server.close();
    expect(guard.closed).toBe(true);
  });

  it('answers /readyz 503 with the reason while the guard is not ready', async () => {
    const guard = new DropToolGuard('none');
    guard.ready = { ok: false, detail: 'revocation list expired' };
    const server = await app(guard);
    const response = await server.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      ready: false,
      trust: { ok: false, detail: 'revocation list expired' },
    });
    await server.close();
  });

  it('puts the admin routes behind the auth chain and the etdi:admin scope', async () => {
    const server = await app();
    const headers = (key?: string) => ({ host: 'gw.test', ...(key ? { 'x-api-key': key } : {}) });
    expect(
      (await server.inject({ method: 'GET', url: '/admin/tools', headers: headers() })).statusCode,
    ).toBe(401);
    const denied = await server.inject({
      method: 'GET',
      url: '/admin/tools',
      headers: headers(bob.key),
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    expect(denied.headers['www-authenticate']).toContain('scope="etdi:admin"');
    const ok = await server.inject({
      method: 'GET',
      url: '/admin/tools',
      headers: headers(alice.key),
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ready: true });
    const rebound = await server.inject({
      method: 'GET',
      url: '/admin/tools',
      headers: { ...headers(alice.key), host: 'evil.test' },
    });
    expect(rebound.statusCode).toBe(403);
    await server.close();
  });

  it('serves the RFC 9728 document of the gateway', async () => {
    const server = await app();
    const response = await server.inject({
      method: 'GET',
      url: '/.well-known/oauth-protected-resource',
    });
    expect(response.json()).toMatchObject({
      resource: 'http://gw.test',
      bearer_methods_supported: ['header'],
    });
    await server.close();
  });
});
