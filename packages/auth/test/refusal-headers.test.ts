import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiKeyProvider,
  JwtProvider,
  MemoryApiKeyStore,
  createAuthenticator,
  etdiAuth,
  wwwAuthenticate,
  type Authenticator,
} from '@etdi/auth';
import { rawRequest } from './support/raw-http.js';

// Refusals repeat request text (a path, a JWT header's alg) in `WWW-Authenticate`. Node refuses
// header values outside latin1 printable text (ERR_INVALID_CHAR), and Fastify then answers with
// its own 500 body and no challenge: every header value the hook writes must be ASCII-safe.

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(auth: Authenticator): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify();
  apps.push(app);
  await app.register(etdiAuth, { authenticator: auth });
  app.get('/admin/*', async () => ({ reached: true }));
  app.get('/mcp', async () => ({ reached: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** The answer over a raw socket and over `inject`, normalised to status, challenge and body. */
async function both(
  t: { app: FastifyInstance; port: number },
  target: string,
  headers: Record<string, string>,
) {
  const raw = await rawRequest(
    t.port,
    'GET',
    target,
    Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  );
  const injected = await t.app.inject({ method: 'GET', url: target, headers });
  return [
    {
      via: 'socket',
      status: raw.status,
      challenge: raw.headers['www-authenticate'] ?? [],
      type: raw.headers['content-type']?.[0],
      body: raw.body,
    },
    {
      via: 'inject',
      status: injected.statusCode,
      challenge: [injected.headers['www-authenticate'] ?? []].flat(),
      type: injected.headers['content-type'],
      body: injected.body,
    },
  ];
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

describe('refusals that repeat request text keep their contract', () => {
  async function keyBarredFromAdmin() {
    const keys = new ApiKeyProvider({
      store: new MemoryApiKeyStore(),
      defaultPolicy: { blockedEndpoints: ['/admin/**'] },
    });
    const key = (await keys.issueKey({ userId: 'ci' })).reveal();
    return { auth: createAuthenticator({ providers: [keys] }), headers: { 'x-api-key': key } };
  }

  it.each([
    ['a non-ASCII path', '/admin/%E4%B8%AD', '/admin/%E4%B8%AD'],
    ['a control character in the path', '/admin/%01', '/admin/%01'],
    ['a path with quotes and a backslash', '/admin/%22x%5C', '/admin/\\"x\\\\'],
  ])('answers 403 endpoint-not-allowed with a challenge for %s', async (_label, target, shown) => {
    const { auth, headers } = await keyBarredFromAdmin();
    const t = await start(auth);
    for (const answer of await both(t, target, headers)) {
      expect(answer.status, answer.via).toBe(403);
      expect(answer.type, answer.via).toBe('application/problem+json; charset=utf-8');
      expect(JSON.parse(answer.body), answer.via).toMatchObject({
        status: 403,
        code: 'endpoint-not-allowed',
      });
      expect(answer.challenge, answer.via).toEqual([
        `Bearer realm="etdi", error="insufficient_scope", error_description="API key may not be used for GET ${shown}"`,
      ]);
      expect(answer.challenge[0], answer.via).toMatch(PRINTABLE_ASCII);
    }
  });

  it('answers 401 alg-not-allowed with a challenge for a JWT whose header has alg "中"', async () => {
    const jwt = new JwtProvider({
      secret: 'a-test-secret-of-at-least-32-bytes!!',
      algorithms: ['HS256'],
      issuer: 'https://idp.example',
      audience: 'etdi-gateway',
    });
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${part({ alg: '中', typ: 'JWT' })}.${part({ sub: 'alice' })}.c2ln`;
    const t = await start(createAuthenticator({ providers: [jwt] }));
    for (const answer of await both(t, '/mcp', { authorization: `Bearer ${token}` })) {
      expect(answer.status, answer.via).toBe(401);
      expect(JSON.parse(answer.body), answer.via).toMatchObject({
        status: 401,
        code: 'alg-not-allowed',
        detail: 'JWT algorithm "中" is not allowed (allowed: HS256)',
      });
      expect(answer.challenge, answer.via).toEqual([
        'Bearer realm="etdi", error="invalid_token", error_description="JWT algorithm \\"%E4%B8%AD\\" is not allowed (allowed: HS256)"',
      ]);
    }
  });
});

describe('wwwAuthenticate', () => {
  it('escapes every character outside printable ASCII in every parameter', () => {
    const [bearer, basic] = wwwAuthenticate(
      {
        error: 'insufficient_scope',
        description: 'tab\there, new\r\nline, "quoted" \\ é 中 \u0000 \u007f 😀',
        scope: ['files:write'],
      },
      { realm: 'réalm "x"', resourceMetadataUrl: 'https://gw.example/ü', basic: true },
    );
    expect(bearer).toBe(
      'Bearer realm="r%C3%A9alm \\"x\\"", error="insufficient_scope", error_description="tab%09here, new%0D%0Aline, \\"quoted\\" \\\\ %C3%A9 %E4%B8%AD %00 %7F %F0%9F%98%80", scope="files:write", resource_metadata="https://gw.example/%C3%BC"',
    );
    expect(basic).toBe('Basic realm="r%C3%A9alm \\"x\\"", charset="UTF-8"');
    for (const value of [bearer, basic]) expect(value).toMatch(PRINTABLE_ASCII);
  });
});
