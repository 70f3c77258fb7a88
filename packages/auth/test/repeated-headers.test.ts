import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyProvider,
  JwtProvider,
  MemoryApiKeyStore,
  MtlsProvider,
  TrustedProxyProvider,
  etdiAuth,
  createAuthenticator,
  type AuthResult,
  type Authenticator,
} from '@etdi/auth';
import { createTestCa, issueCertificate } from '../../../testing/certs.js';
import { rawRequest } from './support/raw-http.js';

const ca = createTestCa('ETDI Clients CA');
// The attacker knows the victim's certificate (it is public), not its private key.
const victim = issueCertificate(ca, { commonName: 'admin', usage: 'client' });
const attacker = issueCertificate(ca, { commonName: 'mallory', usage: 'client' });
const secret = 'a-test-secret-of-at-least-32-bytes!!';

async function token(sub: string): Promise<string> {
  return new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://idp.example')
    .setAudience('etdi-gateway')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
}

/** Every credential kind, each trusting this test's loopback address as its proxy. */
async function authenticator(): Promise<{
  auth: Authenticator;
  apiKey: string;
  gatewayKey: string;
}> {
  const keys = new ApiKeyProvider({ name: 'keys', store: new MemoryApiKeyStore() });
  const gateway = new ApiKeyProvider({
    name: 'gateway',
    store: new MemoryApiKeyStore(),
    credentialField: 'gatewayKey',
  });
  const auth = createAuthenticator({
    providers: [
      new MtlsProvider({ caCertificates: ca.cert, trustedProxies: ['127.0.0.1'] }),
      new TrustedProxyProvider({
        trustProxyAuth: true,
        trustedProxies: ['127.0.0.1'],
        proxyGroupsHeader: 'X-Forwarded-Groups',
      }),
      keys,
      gateway,
      new JwtProvider({
        secret,
        algorithms: ['HS256'],
        issuer: 'https://idp.example',
        audience: 'etdi-gateway',
      }),
    ],
    extract: {
      headers: { gatewayKey: 'X-Gateway-Key' },
      clientCertificateHeader: { name: 'X-SSL-Client-Cert', format: 'pem' },
    },
  });
  return {
    auth,
    apiKey: (await keys.issueKey({ userId: 'key-owner' })).reveal(),
    gatewayKey: (await gateway.issueKey({ userId: 'gateway-owner' })).reveal(),
  };
}

type Answer = Pick<AuthResult, 'status' | 'error' | 'userId' | 'roles'>;

// Each case: the header lines of a proper request, and of the attack sending one header twice.
// The attack's first line wins on the way through Node ("admin" for the certificate).
async function cases(apiKey: string, gatewayKey: string) {
  const cert = (pem: string) => `X-SSL-Client-Cert: ${encodeURIComponent(pem)}`;
  return [
    {
      name: 'Authorization (Node keeps the first line only)',
      once: [`Authorization: Bearer ${await token('alice')}`],
      twice: [
        `Authorization: Bearer ${await token('admin')}`,
        `Authorization: Bearer ${await token('alice')}`,
      ],
      user: 'alice',
    },
    {
      name: 'X-API-Key',
      once: [`X-API-Key: ${apiKey}`],
      twice: [`X-API-Key: ${apiKey}`, `X-API-Key: ${apiKey}`],
      user: 'key-owner',
    },
    {
      name: 'a configured credential header (X-Gateway-Key)',
      once: [`X-Gateway-Key: ${gatewayKey}`],
      twice: [`X-Gateway-Key: ${gatewayKey}`, `X-Gateway-Key: ${gatewayKey}`],
      user: 'gateway-owner',
    },
    {
      name: "the proxy's certificate header",
      once: [cert(attacker.cert)],
      twice: [cert(victim.cert), cert(attacker.cert)],
      user: 'mallory',
    },
    {
      name: "the proxy's user header",
      once: ['X-Authenticated-User: mallory'],
      twice: ['X-Authenticated-User: admin', 'X-Authenticated-User: mallory'],
      user: 'mallory',
    },
    {
      name: "the proxy's groups header",
      once: ['X-Authenticated-User: mallory', 'X-Forwarded-Groups: users'],
      twice: [
        'X-Authenticated-User: mallory',
        'X-Forwarded-Groups: admin',
        'X-Forwarded-Groups: users',
      ],
      user: 'mallory',
    },
  ];
}

const { auth, apiKey, gatewayKey } = await authenticator();
const CASES = (await cases(apiKey, gatewayKey)).map((c) => [c.name, c] as const);

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

describe('credential headers given more than once, over a real HTTP socket', () => {
  let port: number;
  let fastifyPort: number;
  let server: Server;
  let app: FastifyInstance;

  beforeAll(async () => {
    // A bare node:http server: the request is Node's IncomingMessage.
    server = createServer((req, res) => {
      void auth.authenticateRequest(req).then((r) => {
        const answer: Answer = {
          status: r.status,
          error: r.error,
          userId: r.userId,
          roles: r.roles,
        };
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // Fastify: the hook gets Fastify's request, whose Node request is `request.raw`.
    app = Fastify();
    await app.register(etdiAuth, { authenticator: auth });
    app.get('/mcp', async (request) => {
      const r = request.auth!;
      return { status: r.status, userId: r.userId, roles: r.roles };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    fastifyPort = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all([close(server), app.close()]);
  });

  describe('with a node:http IncomingMessage', () => {
    it.each(CASES)('accepts %s given once', async (_name, c) => {
      const answer = JSON.parse((await rawRequest(port, 'GET', '/mcp', c.once)).body) as Answer;
      expect(answer).toMatchObject({ status: 'success', userId: c.user });
    });

    it.each(CASES)('refuses %s given twice as ambiguous, naming nobody', async (_name, c) => {
      const answer = JSON.parse((await rawRequest(port, 'GET', '/mcp', c.twice)).body) as Answer;
      expect(answer).toEqual({
        status: 'invalid-credentials',
        error: 'ambiguous-credentials',
        roles: [],
      });
    });

    it('refuses two certificates in one header line', async () => {
      const line = `X-SSL-Client-Cert: ${encodeURIComponent(victim.cert + attacker.cert)}`;
      const answer = JSON.parse((await rawRequest(port, 'GET', '/mcp', [line])).body) as Answer;
      expect(answer).toMatchObject({
        status: 'invalid-credentials',
        error: 'ambiguous-credentials',
      });
    });

    it.each([
      ['an empty certificate header (nginx)', 'X-SSL-Client-Cert: '],
      ['"(null)" (Apache)', 'X-SSL-Client-Cert: (null)'],
    ])('treats %s as no certificate, so other credentials still work', async (_label, line) => {
      const lines = [line, `Authorization: Bearer ${await token('alice')}`];
      const answer = JSON.parse((await rawRequest(port, 'GET', '/mcp', lines)).body) as Answer;
      expect(answer).toMatchObject({ status: 'success', userId: 'alice' });
    });
  });

  describe('with a Fastify request and the etdiAuth plugin', () => {
    it.each(CASES)('accepts %s given once', async (_name, c) => {
      const answer = await rawRequest(fastifyPort, 'GET', '/mcp', c.once);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ userId: c.user });
    });

    it.each(CASES)('refuses %s given twice with 401 ambiguous-credentials', async (_name, c) => {
      const answer = await rawRequest(fastifyPort, 'GET', '/mcp', c.twice);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'ambiguous-credentials' });
    });
  });
});
