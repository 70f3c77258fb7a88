import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthCredentials,
  JwtProvider,
  TrustedProxyProvider,
  etdiAuth,
  createAuthenticator,
  type AuthProvider,
  type TrustedProxyProviderOptions,
} from '@etdi/auth';
import { createConsoleLogger } from '@etdi/core';
import { SignJWT, generateKeyPair } from 'jose';
import { recordingLogger } from './support/recording-logger.js';

const from = (remoteAddress: string, headers: Record<string, string> = {}) =>
  new AuthCredentials({ headers, context: { remoteAddress } });

function proxy(options: TrustedProxyProviderOptions = {}) {
  return new TrustedProxyProvider({
    trustProxyAuth: true,
    trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
    ...options,
  });
}

describe('TrustedProxyProvider', () => {
  describe('with trustProxyAuth', () => {
    it('names the user the proxy names, from a configured proxy address', async () => {
      const result = await proxy({
        proxyGroupsHeader: 'X-Forwarded-Groups',
        defaultScopes: ['mcp'],
      }).authenticate(
        from('10.2.3.4', {
          'x-authenticated-user': 'alice@example.com',
          'x-forwarded-groups': 'dev, ops',
        }),
      );
      expect(result).toMatchObject({
        status: 'success',
        userId: 'alice@example.com',
        permissions: ['mcp'],
        roles: ['dev', 'ops'],
        source: { provider: 'proxy', method: 'proxy' },
        anonymous: false,
      });
    });

    it('works for IPv6 and IPv4-mapped proxy addresses', async () => {
      const p = proxy();
      for (const address of ['fd00::10', '::ffff:10.0.0.7']) {
        expect(
          (await p.authenticate(from(address, { 'x-authenticated-user': 'a' }))).isSuccess,
        ).toBe(true);
      }
    });

    it('refuses the header from any other address, and logs the attempt', async () => {
      const logger = recordingLogger();
      const p = proxy({ logger });
      const result = await p.authenticate(from('203.0.113.9', { 'x-authenticated-user': 'admin' }));
      expect(result).toMatchObject({ status: 'invalid-credentials', error: 'untrusted-proxy' });
      expect(
        logger.lines.some((l) => l.level === 'warn' && l.fields.remoteAddress === '203.0.113.9'),
      ).toBe(true);
    });

    it('refuses the header when the peer address is unknown', async () => {
      const result = await proxy().authenticate(
        new AuthCredentials({ headers: { 'x-authenticated-user': 'a' } }),
      );
      expect(result.error).toBe('untrusted-proxy');
    });

    it('uses a configured header name', async () => {
      const p = proxy({ proxyUserHeader: 'Cf-Access-Authenticated-User-Email' });
      const result = await p.authenticate(
        from('10.0.0.1', { 'cf-access-authenticated-user-email': 'bob@example.com' }),
      );
      expect(result.userId).toBe('bob@example.com');
    });

    it.each([
      ['two users (a header sent twice)', 'alice, bob', 'ambiguous-credentials'],
      ['an empty name', ' ', 'malformed-credentials'],
      ['control characters', 'ali\u0001ce', 'malformed-credentials'],
      ['an oversized name', 'a'.repeat(300), 'malformed-credentials'],
    ])('refuses %s', async (_label, value, error) => {
      expect(
        await proxy().authenticate(from('10.0.0.1', { 'x-authenticated-user': value })),
      ).toMatchObject({
        status: 'invalid-credentials',
        error,
      });
    });

    it('stands aside without the header', async () => {
      expect((await proxy().authenticate(from('10.0.0.1'))).error).toBe('no-credentials');
    });

    it('refuses to start without proxy addresses', () => {
      expect(() => new TrustedProxyProvider({ trustProxyAuth: true })).toThrow(
        expect.objectContaining({ code: 'invalid-config', pointer: '/trustedProxies' }),
      );
    });
  });

  describe('without trustProxyAuth', () => {
    it('ignores the header entirely by default', async () => {
      const p = new TrustedProxyProvider();
      expect(p.clientAuthEnabled).toBe(true);
      expect(p.trustProxyAuth).toBe(false);
      expect(
        (await p.authenticate(from('10.0.0.1', { 'x-authenticated-user': 'admin' }))).error,
      ).toBe('no-credentials');
    });

    it('with client auth disabled: warns at start-up and accepts everyone as anonymous, never as named', async () => {
      const logger = recordingLogger();
      const p = new TrustedProxyProvider({ clientAuthEnabled: false, logger });
      expect(logger.lines).toMatchObject([
        { level: 'warn', message: expect.stringContaining('SECURITY') },
      ]);
      const result = await p.authenticate(from('10.0.0.1', { 'x-authenticated-user': 'admin' }));
      expect(result).toMatchObject({
        status: 'success',
        anonymous: true,
        permissions: [],
        source: { provider: 'proxy', method: 'proxy' },
      });
      expect(result.userId).toBeUndefined();
    });

    it('writes the start-up warning to stderr with the default logger', () => {
      const lines: string[] = [];
      new TrustedProxyProvider({
        clientAuthEnabled: false,
        logger: createConsoleLogger({ stream: { write: (l: string) => lines.push(l) } }),
      });
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', clientAuthEnabled: false });
    });
  });
});

describe('trusted proxy header on every route of a Fastify app', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function build(providers: AuthProvider[] = [proxy()]) {
    const auth = createAuthenticator({ providers });
    const fastify = Fastify();
    await fastify.register(etdiAuth, {
      authenticator: auth,
      skip: (req) => req.url === '/healthz',
    });
    const who = async (request: FastifyRequest) => ({ user: request.auth?.userId });
    // The routes an MCP server exposes, registered in every way a codebase tends to.
    fastify.get('/healthz', async () => ({ ok: true }));
    fastify.post('/mcp', who);
    fastify.get('/mcp', who);
    fastify.delete('/mcp', who);
    fastify.get('/sse', who);
    fastify.post('/messages', who);
    fastify.route({ method: 'POST', url: '/mcp/:server', handler: who, onRequest: async () => {} });
    await fastify.register(
      async (child) => {
        child.post('/tools/call', who);
        child.get('/tools/list', who);
      },
      { prefix: '/v1' },
    );
    await fastify.register(async (child) => {
      child.addHook('onRequest', async () => {});
      child.post('/servers/:id/mcp', who);
    });
    await fastify.ready();
    app = fastify;
    return fastify;
  }

  const routes = [
    ['POST', '/mcp'],
    ['GET', '/mcp'],
    ['DELETE', '/mcp'],
    ['GET', '/sse'],
    ['POST', '/messages'],
    ['POST', '/mcp/github'],
    ['POST', '/v1/tools/call'],
    ['GET', '/v1/tools/list'],
    ['POST', '/servers/42/mcp'],
  ] as const;

  it('honours the header from a trusted proxy on every route', async () => {
    const fastify = await build();
    for (const [method, url] of routes) {
      const res = await fastify.inject({
        method,
        url,
        remoteAddress: '10.9.8.7',
        headers: { 'x-authenticated-user': 'alice' },
      });
      expect(res.statusCode, `${method} ${url}`).toBe(200);
      expect(res.json(), `${method} ${url}`).toEqual({ user: 'alice' });
    }
  });

  it('refuses the header from an untrusted address on every route', async () => {
    const fastify = await build();
    for (const [method, url] of routes) {
      const res = await fastify.inject({
        method,
        url,
        remoteAddress: '198.51.100.7',
        headers: { 'x-authenticated-user': 'alice', 'x-forwarded-for': '10.0.0.1' },
      });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json()).toMatchObject({ code: 'untrusted-proxy' });
    }
  });

  it('answers 401 with a challenge on every route without credentials, except skipped ones', async () => {
    const fastify = await build();
    for (const [method, url] of routes) {
      const res = await fastify.inject({ method, url, remoteAddress: '10.0.0.1' });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="etdi"');
    }
    expect((await fastify.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('lets other providers in the chain still work beside the proxy', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwt = new JwtProvider({
      publicKey,
      algorithms: ['ES256'],
      issuer: 'https://idp.example',
      audience: 'etdi-gateway',
    });
    const fastify = await build([proxy(), jwt]);
    const token = await new SignJWT({ sub: 'bob' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://idp.example')
      .setAudience('etdi-gateway')
      .setExpirationTime('5m')
      .sign(privateKey);
    for (const [method, url] of routes) {
      const res = await fastify.inject({
        method,
        url,
        remoteAddress: '198.51.100.7',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.json(), `${method} ${url}`).toEqual({ user: 'bob' });
    }
  });
});
