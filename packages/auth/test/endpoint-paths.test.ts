import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiKeyProvider,
  JwtProvider,
  MemoryApiKeyStore,
  etdiAuth,
  createAuthenticator,
  type Authenticator,
  type ExtractOptions,
} from '@etdi/auth';
import { rawRequest } from './support/raw-http.js';

// Fastify's router options that make it read more paths as the same route.
const LENIENT = {
  ignoreTrailingSlash: true,
  ignoreDuplicateSlashes: true,
  caseSensitive: false,
  useSemicolonDelimiter: true,
};

interface TestApp {
  readonly app: FastifyInstance;
  readonly port: number;
  /** Routes whose handler ran. */
  readonly reached: string[];
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(auth: Authenticator, routerOptions: object = {}): Promise<TestApp> {
  const reached: string[] = [];
  const app = Fastify({ routerOptions });
  apps.push(app);
  await app.register(etdiAuth, { authenticator: auth });
  const route = (path: string, name: string) =>
    app.get(path, async () => {
      reached.push(name);
      return { route: name };
    });
  route('/admin', 'admin');
  route('/admin/secrets', 'admin');
  route('/admin/:id', 'admin');
  route('/tools/*', 'tools');
  route('/internal/state', 'internal');
  route('/public', 'public');
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port, reached };
}

/**
 * The answers over a raw socket, which sends the target byte for byte, and over `inject` when it
 * sends the same target (it resolves `..` and `\` as a browser would, which tests another path).
 */
async function both(t: TestApp, method: string, target: string, headers: Record<string, string>) {
  const raw = await rawRequest(
    t.port,
    method,
    target,
    Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  );
  const answers = [{ via: 'socket', status: raw.status, body: raw.body }];
  const url = new URL(target, 'http://127.0.0.1');
  if (url.pathname + url.search === target) {
    const injected = await t.app.inject({ method: method as 'GET', url: target, headers });
    answers.push({ via: 'inject', status: injected.statusCode, body: injected.body });
  }
  return answers;
}

// Each would reach a barred route under some router configuration, had the rule read the path
// differently from the router.
const ATTACKS: [string, string][] = [
  ['GET', '/admin/secrets'],
  ['GET', '/%61dmin/secrets'],
  ['GET', '/%61%64%6D%69%6E'],
  ['GET', '/admin/secrets/'],
  ['GET', '//admin/secrets'],
  ['GET', '/admin//secrets'],
  ['GET', '/./admin/secrets'],
  ['GET', '/x/../admin/secrets'],
  ['GET', '/%2e/admin/secrets'],
  ['GET', '/x/%2E%2E/admin/secrets'],
  ['GET', '/admin;x/secrets'],
  // Fastify's default router does not resolve `..`: this reaches the `/tools/*` route.
  ['GET', '/tools/../public'],
  ['GET', '/tools/%2e%2e/public'],
  ['GET', '/internal/state'],
  // HEAD runs the GET handler.
  ['HEAD', '/internal/state'],
];
const CASE_ATTACKS: [string, string][] = [
  ['GET', '/ADMIN/secrets'],
  ['GET', '/%41dmin/secrets'],
  ['GET', '/Tools/x'],
];

describe('endpoint rules and the paths a router reads', () => {
  describe('an API key barred from /admin/**, /tools/** and GET /internal/**', () => {
    async function setup(routerOptions: object, extract: ExtractOptions = {}) {
      const keys = new ApiKeyProvider({
        store: new MemoryApiKeyStore(),
        defaultPolicy: { blockedEndpoints: ['/admin/**', '/tools/**', 'GET /internal/**'] },
      });
      const issued = await keys.issueKey({ userId: 'ci' });
      const t = await start(createAuthenticator({ providers: [keys], extract }), routerOptions);
      return { t, headers: { 'x-api-key': issued.reveal() } };
    }

    describe('behind a lenient router, with caseInsensitivePaths', () => {
      it.each([...ATTACKS, ...CASE_ATTACKS])(
        'refuses %s %s before any route runs',
        async (method, target) => {
          const { t, headers } = await setup(LENIENT, { caseInsensitivePaths: true });
          for (const answer of await both(t, method, target, headers)) {
            expect(answer, answer.via).toMatchObject({ status: 403 });
            if (method !== 'HEAD') {
              expect(JSON.parse(answer.body), answer.via).toMatchObject({
                code: 'endpoint-not-allowed',
              });
            }
          }
          expect(t.reached).toEqual([]);
        },
      );

      it('lets the key reach the routes it may use, however the path is spelt', async () => {
        const { t, headers } = await setup(LENIENT, { caseInsensitivePaths: true });
        for (const [method, target] of [
          ['GET', '/public'],
          ['GET', '/public/'],
          ['GET', '/PUBLIC'],
          ['GET', '/%70ublic?x=/admin'],
          ['HEAD', '/public'],
        ] as const) {
          for (const answer of await both(t, method, target, headers)) {
            expect(answer.status, `${answer.via} ${method} ${target}`).toBe(200);
          }
        }
      });
    });

    describe("behind Fastify's default router", () => {
      it.each(ATTACKS)('refuses %s %s before any route runs', async (method, target) => {
        const { t, headers } = await setup({});
        for (const answer of await both(t, method, target, headers)) {
          expect(answer, answer.via).toMatchObject({ status: 403 });
        }
        expect(t.reached).toEqual([]);
      });

      // Documented choice: without caseInsensitivePaths, rules are case-sensitive, as this
      // router is; it finds no route for /ADMIN, so nothing is reached either way.
      it.each(CASE_ATTACKS)(
        'leaves %s %s to the case-sensitive router, which has no such route',
        async (method, target) => {
          const { t, headers } = await setup({});
          for (const answer of await both(t, method, target, headers)) {
            expect(answer, answer.via).toMatchObject({ status: 404 });
          }
          expect(t.reached).toEqual([]);
        },
      );
    });
  });

  describe('a policy-bound JWT allowed only on GET /tools/* and /public', () => {
    const secret = 'a-test-secret-of-at-least-32-bytes!!';
    async function setup() {
      const jwt = new JwtProvider({
        secret,
        algorithms: ['HS256'],
        issuer: 'https://idp.example',
        audience: 'etdi-gateway',
      });
      const token = await new SignJWT({
        sub: 'alice',
        allowed_endpoints: ['GET /tools/*', '/public'],
      })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://idp.example')
        .setAudience('etdi-gateway')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      const t = await start(createAuthenticator({ providers: [jwt] }));
      return { t, headers: { authorization: `Bearer ${token}` } };
    }

    it('is accepted where the claim allows it', async () => {
      const { t, headers } = await setup();
      for (const [method, target] of [
        ['GET', '/tools/list'],
        ['HEAD', '/tools/list'],
        ['GET', '/tools/list/'],
        ['GET', '/%70ublic'],
      ] as const) {
        const answer = await rawRequest(t.port, method, target, [
          `authorization: ${headers.authorization}`,
        ]);
        expect(answer.status, target).toBe(200);
      }
    });

    it.each([
      // `\` is not a separator to Fastify: this is the /admin/:id route, although a reading
      // that turns `\` into `/` and resolves `..` makes it /tools/y.
      ['GET', '/admin/x\\..\\..\\tools\\y'],
      ['GET', '/public/../admin/secrets'],
      ['GET', '/tools/%2e%2e/admin/secrets'],
      ['GET', '/%61dmin/secrets'],
      ['POST', '/tools/list'],
    ])('is refused on %s %s before any route runs', async (method, target) => {
      const { t, headers } = await setup();
      const answer = await rawRequest(t.port, method, target, [
        `authorization: ${headers.authorization}`,
      ]);
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'endpoint-not-allowed' });
      expect(t.reached).toEqual([]);
    });
  });
});
