/**
 * A real OAuth 2.x authorization server for tests: Fastify on 127.0.0.1 with three listeners
 * (plain HTTP, HTTPS, and HTTPS that asks for a client certificate for RFC 8705
 * `tls_client_auth`), certificates from node-forge via `testing/certs.ts`.
 *
 * Endpoints, on every listener:
 * - `POST /token`: client_credentials, refresh_token and authorization_code (PKCE S256/plain
 *   verified); client_secret_basic, client_secret_post, tls_client_auth and public clients.
 * - `GET /authorize`: issues a code bound to the PKCE challenge and redirects (302) to the
 *   client's redirect URI with `code` and `state`, or with `error` when told to deny.
 * - `POST /revoke`: RFC 7009.
 * - `POST /introspect`: RFC 7662, for tests (and later the gateway's) that need to know whether
 *   an upstream token is live.
 *
 * Scriptable per test: queue canned answers (`enqueue`, e.g. 500 twice or 429 with
 * `Retry-After`), hold answers until the test releases them (`holdTokenAnswers`), change
 * lifetimes, issue and rotate refresh tokens, downgrade the granted scope, deny authorizations,
 * echo requests back. It records every request so tests can count them.
 *
 * @example
 * const as = await TestOAuthServer.start();
 * as.enqueue({ status: 500 });
 * // ... service under test requests a token at as.url('http', '/token') ...
 * expect(as.tokenRequests).toHaveLength(2);
 * await as.close();
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  createTestCa,
  issueCertificate,
  type Pem,
  type TestCa,
} from '../../../../testing/certs.js';

/** Which listener a request arrived on. */
export type Listener = 'http' | 'https' | 'mtls';

/** A client the server knows. */
export interface TestClient {
  readonly clientId: string;
  /** Confidential clients authenticate with it (basic or post). Absent: public or mTLS client. */
  readonly clientSecret?: string;
  /** Subject CN a client certificate must carry for `tls_client_auth` (RFC 8705 §2.1.2). */
  readonly tlsSubject?: string;
  /** Allowed redirect URIs (authorization-code flow). */
  readonly redirectUris?: readonly string[];
}

/** A canned answer that replaces the normal processing of one request. */
export interface ScriptedResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
}

/** Behaviour of the token endpoint; change it freely between (or during) tests. */
export interface TestServerSettings {
  /** `expires_in` of issued tokens; `undefined` leaves it out. Default 3600. */
  expiresIn: number | undefined;
  /** Issue a refresh token with client_credentials too (authorization_code always gets one). */
  issueRefreshTokens: boolean;
  /** `refresh_expires_in` sent with refresh tokens (Keycloak style); `undefined` leaves it out. */
  refreshExpiresIn: number | undefined;
  /** Issue a new refresh token on every refresh (and invalidate the old one). */
  rotateRefreshTokens: boolean;
  /** The scope granted for a requested scope. Default: as requested. */
  grantScope: (requested: string) => string;
  /** Put `scope` in token responses. Default true. */
  includeScope: boolean;
  /** `token_type` of issued tokens. Default `Bearer`. */
  tokenType: string;
  /**
   * Delay every token answer by this long. Default 0. A real timer: to keep a request in flight
   * in a test, prefer {@link TestOAuthServer.holdTokenAnswers}.
   */
  delayMs: number;
  /** Redirect `/authorize` back with `error=access_denied`. */
  denyAuthorization: boolean;
  /**
   * Refuse every token request with 400 `invalid_request` and an `error_description` that echoes
   * what the client sent (its `Authorization` header and raw form body), as careless servers do.
   */
  echoRequests: boolean;
}

/** One request to `/token`, as the server saw it. */
export interface TokenRequestRecord {
  readonly listener: Listener;
  readonly grantType: string | undefined;
  readonly clientId: string | undefined;
  readonly authMethod: 'basic' | 'post' | 'tls' | 'none';
  readonly params: Readonly<Record<string, string | string[]>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** An issued token, as `/introspect` and {@link TestOAuthServer.introspect} report it. */
export interface IssuedToken {
  readonly kind: 'access_token' | 'refresh_token';
  readonly clientId: string;
  readonly scope: string;
  readonly expiresAt: number | undefined;
  revoked: boolean;
}

interface AuthorizationCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly challenge: string | undefined;
  readonly method: string;
  used: boolean;
}

/** Token answers held back by {@link TestOAuthServer.holdTokenAnswers}. */
export interface TokenAnswerGate {
  /** Lets every held token request (and every later one) be answered. */
  release(): void;
}

/** Options of {@link TestOAuthServer.start}. */
export interface TestOAuthServerOptions {
  /** Clients the server knows. Default: {@link DEFAULT_CLIENT} and {@link MTLS_CLIENT}. */
  readonly clients?: readonly TestClient[];
  /** Reuse a CA (and so its certificates) across servers. Default: a new one. */
  readonly ca?: TestCa;
}

/** A confidential client with a secret. */
export const DEFAULT_CLIENT = {
  clientId: 'etdi-gateway',
  clientSecret: 'gw-client-secret-7f3a9c1e5b',
  redirectUris: ['http://127.0.0.1:9/callback', 'https://gateway.example/callback'],
} as const satisfies TestClient;

/** A client that authenticates with its certificate only (RFC 8705 tls_client_auth). */
export const MTLS_CLIENT = {
  clientId: 'etdi-gateway-mtls',
  tlsSubject: 'etdi-gateway-mtls',
} as const satisfies TestClient;

/** A public client (authorization code + PKCE, no secret). */
export const PUBLIC_CLIENT = {
  clientId: 'etdi-gateway-public',
  redirectUris: ['http://127.0.0.1:9/callback'],
} as const satisfies TestClient;

function defaultSettings(): TestServerSettings {
  return {
    expiresIn: 3600,
    issueRefreshTokens: false,
    refreshExpiresIn: undefined,
    rotateRefreshTokens: false,
    grantScope: (requested) => requested,
    includeScope: true,
    tokenType: 'Bearer',
    delayMs: 0,
    denyAuthorization: false,
    echoRequests: false,
  };
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '));
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type Params = Record<string, string | string[]>;

function first(params: Params, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

/** File paths of PEMs written for a service configuration (`mtls.certPath` and friends). */
export interface PemFiles {
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** Writes a CA and a client certificate to a fresh temporary directory. */
export function writePemFiles(ca: Pick<TestCa, 'cert'>, client: Pem): PemFiles {
  const dir = mkdtempSync(join(tmpdir(), 'etdi-oauth-pem-'));
  const files = {
    caPath: join(dir, 'ca.pem'),
    certPath: join(dir, 'client.pem'),
    keyPath: join(dir, 'client-key.pem'),
  };
  writeFileSync(files.caPath, ca.cert);
  writeFileSync(files.certPath, client.cert);
  writeFileSync(files.keyPath, client.key, { mode: 0o600 });
  return files;
}

/** The test authorization server. Create with {@link TestOAuthServer.start}. */
export class TestOAuthServer {
  /** The CA that issued the server and client certificates. */
  readonly ca: TestCa;
  /** Client certificate for {@link MTLS_CLIENT} (CN = its `tlsSubject`). */
  readonly clientCertificate: Pem;
  /** The CA and client certificate as files, for `mtls` configurations. */
  readonly clientFiles: PemFiles;
  settings: TestServerSettings = defaultSettings();
  readonly tokenRequests: TokenRequestRecord[] = [];
  readonly revocationRequests: { readonly token: string; readonly hint: string | undefined }[] = [];
  readonly authorizeRequests: Readonly<Record<string, string>>[] = [];

  readonly #clients = new Map<string, TestClient>();
  readonly #apps = new Map<Listener, FastifyInstance>();
  readonly #urls = new Map<Listener, string>();
  readonly #queue: ScriptedResponse[] = [];
  readonly #revocationQueue: ScriptedResponse[] = [];
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #rawBodies = new WeakMap<object, string>();
  readonly #gates = new Set<() => void>();
  #held: Promise<void> | undefined;
  readonly #arrivals: { readonly count: number; readonly resolve: () => void }[] = [];

  private constructor(options: TestOAuthServerOptions) {
    this.ca = options.ca ?? createTestCa('ETDI OAuth Test CA');
    this.clientCertificate = issueCertificate(this.ca, {
      commonName: MTLS_CLIENT.tlsSubject,
      usage: 'client',
    });
    this.clientFiles = writePemFiles(this.ca, this.clientCertificate);
    for (const client of options.clients ?? [DEFAULT_CLIENT, MTLS_CLIENT, PUBLIC_CLIENT]) {
      this.#clients.set(client.clientId, client);
    }
  }

  /** Starts the three listeners on 127.0.0.1 with ephemeral ports. */
  static async start(options: TestOAuthServerOptions = {}): Promise<TestOAuthServer> {
    const server = new TestOAuthServer(options);
    const serverCert = issueCertificate(server.ca, { commonName: 'localhost', usage: 'server' });
    await server.#listen('http', Fastify({ logger: false }));
    await server.#listen('https', Fastify({ logger: false, https: { ...serverCert } }));
    await server.#listen(
      'mtls',
      Fastify({
        logger: false,
        https: {
          ...serverCert,
          ca: server.ca.cert,
          requestCert: true,
          // The route decides (invalid_client), as an RFC 8705 server does; a handshake failure
          // would hide which check failed.
          rejectUnauthorized: false,
        },
      }),
    );
    return server;
  }

  /** Base URL of a listener, e.g. `http://127.0.0.1:41234`. */
  baseUrl(listener: Listener): string {
    return this.#urls.get(listener)!;
  }

  /** URL of an endpoint on a listener. */
  url(listener: Listener, path: '/token' | '/authorize' | '/revoke' | '/introspect'): string {
    return `${this.baseUrl(listener)}${path}`;
  }

  /** Queues canned answers for the next token requests (before any normal processing). */
  enqueue(...responses: ScriptedResponse[]): void {
    this.#queue.push(...responses);
  }

  /** Queues canned answers for the next revocation requests. */
  enqueueRevocation(...responses: ScriptedResponse[]): void {
    this.#revocationQueue.push(...responses);
  }

  /** Adds or replaces a client. */
  registerClient(client: TestClient): void {
    this.#clients.set(client.clientId, client);
  }

  /** Mints a refresh token out of band, as an operator provisions one for the refresh_token grant. */
  provisionRefreshToken(clientId: string, scope = ''): string {
    const refreshToken = `rt-${randomBytes(18).toString('base64url')}`;
    this.#tokens.set(refreshToken, {
      kind: 'refresh_token',
      clientId,
      scope,
      expiresAt: undefined,
      revoked: false,
    });
    return refreshToken;
  }

  /** Every token the server issued, oldest first. */
  *issuedTokens(): Iterable<IssuedToken & { readonly token: string }> {
    for (const [token, issued] of this.#tokens) yield { ...issued, token };
  }

  /** What the server knows about a token; `undefined` if it never issued it. */
  introspect(token: string): IssuedToken | undefined {
    return this.#tokens.get(token);
  }

  /** Whether `token` is an unexpired, unrevoked access token this server issued. */
  isActive(token: string): boolean {
    const issued = this.#tokens.get(token);
    return (
      issued !== undefined &&
      issued.kind === 'access_token' &&
      !issued.revoked &&
      (issued.expiresAt === undefined || issued.expiresAt > Date.now())
    );
  }

  /**
   * Holds every token answer (the request is received and recorded, not answered) until the
   * gate is released: a test keeps an acquisition in flight for exactly as long as it needs,
   * with no timer. A gate never released is a server that never answers, for client timeouts.
   * `reset()` and `close()` release every gate.
   *
   * @example
   * const gate = as.holdTokenAnswers();
   * const calls = Array.from({ length: 100 }, () => oauth.getAccessToken('up', config));
   * await as.receivedTokenRequests(1);
   * gate.release();
   * await Promise.all(calls);
   */
  holdTokenAnswers(): TokenAnswerGate {
    let open!: () => void;
    const held = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#held = held;
    const release = () => {
      this.#gates.delete(release);
      if (this.#held === held) this.#held = undefined;
      open();
    };
    this.#gates.add(release);
    return { release };
  }

  /** Resolves once the server has received `count` token requests since the last reset. */
  receivedTokenRequests(count: number): Promise<void> {
    if (this.tokenRequests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#arrivals.push({ count, resolve }));
  }

  #tokenRequestArrived(): void {
    for (let i = this.#arrivals.length - 1; i >= 0; i--) {
      const waiter = this.#arrivals[i]!;
      if (this.tokenRequests.length >= waiter.count) {
        this.#arrivals.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** Forgets recorded requests, queued answers and settings (issued tokens stay valid). */
  reset(): void {
    for (const release of [...this.#gates]) release();
    this.settings = defaultSettings();
    this.tokenRequests.length = 0;
    this.revocationRequests.length = 0;
    this.authorizeRequests.length = 0;
    this.#queue.length = 0;
    this.#revocationQueue.length = 0;
  }

  async close(): Promise<void> {
    for (const release of [...this.#gates]) release();
    for (const pending of this.#timers) {
      clearTimeout(pending.timer);
      pending.resolve();
    }
    this.#timers.clear();
    await Promise.all([...this.#apps.values()].map((app) => app.close()));
  }

  #delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const pending = {
        timer: setTimeout(() => {
          this.#timers.delete(pending);
          resolve();
        }, ms),
        resolve,
      };
      this.#timers.add(pending);
    });
  }

  async #listen(listener: Listener, app: FastifyInstance): Promise<void> {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (request, body, done) => {
        this.#rawBodies.set(request.raw, body as string);
        const params: Params = {};
        for (const [name, value] of new URLSearchParams(body as string)) {
          const existing = params[name];
          params[name] =
            existing === undefined
              ? value
              : Array.isArray(existing)
                ? [...existing, value]
                : [existing, value];
        }
        done(null, params);
      },
    );
    app.post('/token', (request, reply) => this.#token(listener, request, reply));
    app.post('/revoke', (request, reply) => this.#revoke(listener, request, reply));
    app.post('/introspect', (request, reply) => this.#introspectRoute(listener, request, reply));
    app.get('/authorize', (request, reply) => this.#authorize(request, reply));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    this.#apps.set(listener, app);
    this.#urls.set(listener, `${listener === 'http' ? 'http' : 'https'}://127.0.0.1:${port}`);
  }

  /** Client authentication (RFC 6749 §2.3, RFC 8705 §2). */
  #authenticate(
    listener: Listener,
    request: FastifyRequest,
    params: Params,
  ): { client: TestClient; method: TokenRequestRecord['authMethod'] } | { error: string } {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
      if (match === null) return { error: 'malformed Authorization header' };
      const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { error: 'malformed Basic credentials' };
      const id = formDecode(decoded.slice(0, colon));
      const secret = formDecode(decoded.slice(colon + 1));
      const client = this.#clients.get(id);
      if (client?.clientSecret === undefined || !sameString(client.clientSecret, secret)) {
        return { error: 'client authentication failed' };
      }
      return { client, method: 'basic' };
    }
    const id = first(params, 'client_id');
    const client = id === undefined ? undefined : this.#clients.get(id);
    if (client === undefined) return { error: 'unknown client' };
    const secret = first(params, 'client_secret');
    if (secret !== undefined) {
      if (client.clientSecret === undefined || !sameString(client.clientSecret, secret)) {
        return { error: 'client authentication failed' };
      }
      return { client, method: 'post' };
    }
    if (client.tlsSubject !== undefined) {
      if (listener !== 'mtls') return { error: 'client certificate required' };
      const socket = request.raw.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      if (!socket.authorized || peer.subject?.CN !== client.tlsSubject) {
        return { error: 'client certificate not accepted' };
      }
      return { client, method: 'tls' };
    }
    if (client.clientSecret !== undefined) return { error: 'client secret required' };
    return { client, method: 'none' };
  }

  #issue(client: TestClient, scope: string, withRefresh: boolean): Record<string, unknown> {
    const { settings } = this;
    const accessToken = `at-${randomBytes(18).toString('base64url')}`;
    const expiresAt =
      settings.expiresIn === undefined ? undefined : Date.now() + settings.expiresIn * 1000;
    this.#tokens.set(accessToken, {
      kind: 'access_token',
      clientId: client.clientId,
      scope,
      expiresAt,
      revoked: false,
    });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: settings.tokenType,
    };
    if (settings.expiresIn !== undefined) body.expires_in = settings.expiresIn;
    if (settings.includeScope && scope !== '') body.scope = scope;
    if (withRefresh) {
      const refreshToken = `rt-${randomBytes(18).toString('base64url')}`;
      this.#tokens.set(refreshToken, {
        kind: 'refresh_token',
        clientId: client.clientId,
        scope,
        expiresAt: undefined,
        revoked: false,
      });
      body.refresh_token = refreshToken;
      if (settings.refreshExpiresIn !== undefined) {
        body.refresh_expires_in = settings.refreshExpiresIn;
      }
    }
    return body;
  }

  async #token(listener: Listener, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const params = (request.body ?? {}) as Params;
    const scripted = this.#queue.shift();
    const auth = this.#authenticate(listener, request, params);
    this.tokenRequests.push({
      listener,
      grantType: first(params, 'grant_type'),
      clientId: 'client' in auth ? auth.client.clientId : first(params, 'client_id'),
      authMethod: 'client' in auth ? auth.method : 'none',
      params,
      headers: { ...request.headers },
    });
    this.#tokenRequestArrived();
    if (this.#held !== undefined) await this.#held;
    await this.#delay(scripted?.delayMs ?? this.settings.delayMs);
    if (scripted !== undefined) return this.#send(reply, scripted);
    reply.header('cache-control', 'no-store');
    if (this.settings.echoRequests) {
      const echoed = `${request.headers.authorization ?? 'no Authorization'}; body ${this.#rawBodies.get(request.raw) ?? ''}`;
      return void reply
        .code(400)
        .send({ error: 'invalid_request', error_description: `cannot process: ${echoed}` });
    }
    if ('error' in auth) {
      return void reply
        .code(401)
        .header('www-authenticate', 'Basic realm="etdi-test"')
        .send({ error: 'invalid_client', error_description: auth.error });
    }
    const { client } = auth;
    const requested = first(params, 'scope') ?? '';
    switch (first(params, 'grant_type')) {
      case 'client_credentials': {
        if (auth.method === 'none') {
          return void reply.code(401).send({ error: 'invalid_client' });
        }
        const scope = this.settings.grantScope(requested);
        return void reply.send(this.#issue(client, scope, this.settings.issueRefreshTokens));
      }
      case 'refresh_token': {
        const presented = first(params, 'refresh_token') ?? '';
        const issued = this.#tokens.get(presented);
        if (
          issued === undefined ||
          issued.kind !== 'refresh_token' ||
          issued.revoked ||
          issued.clientId !== client.clientId
        ) {
          return void reply
            .code(400)
            .send({ error: 'invalid_grant', error_description: 'refresh token invalid' });
        }
        const scope = this.settings.grantScope(requested === '' ? issued.scope : requested);
        const rotate = this.settings.rotateRefreshTokens;
        if (rotate) issued.revoked = true;
        return void reply.send(this.#issue(client, scope, rotate));
      }
      case 'authorization_code': {
        const code = this.#codes.get(first(params, 'code') ?? '');
        const invalid = (why: string) =>
          void reply.code(400).send({ error: 'invalid_grant', error_description: why });
        if (code === undefined || code.used) return invalid('unknown or used code');
        code.used = true;
        if (code.clientId !== client.clientId) return invalid('code issued to another client');
        if (code.redirectUri !== first(params, 'redirect_uri'))
          return invalid('redirect_uri mismatch');
        if (code.challenge !== undefined) {
          const verifier = first(params, 'code_verifier');
          if (verifier === undefined) return invalid('code_verifier required');
          const computed =
            code.method === 'S256'
              ? createHash('sha256').update(verifier).digest('base64url')
              : verifier;
          if (!sameString(computed, code.challenge)) return invalid('PKCE verification failed');
        }
        return void reply.send(this.#issue(client, this.settings.grantScope(code.scope), true));
      }
      default:
        return void reply.code(400).send({ error: 'unsupported_grant_type' });
    }
  }

  #authorize(request: FastifyRequest, reply: FastifyReply): void {
    const query = request.query as Record<string, string>;
    this.authorizeRequests.push({ ...query });
    const client = this.#clients.get(query.client_id ?? '');
    const redirectUri = query.redirect_uri ?? '';
    if (client === undefined || !(client.redirectUris ?? []).includes(redirectUri)) {
      // RFC 6749 §4.1.2.1: never redirect to an unverified URI.
      return void reply.code(400).send({ error: 'invalid_request' });
    }
    const back = new URL(redirectUri);
    if (query.state !== undefined) back.searchParams.set('state', query.state);
    if (query.response_type !== 'code') {
      back.searchParams.set('error', 'unsupported_response_type');
    } else if (this.settings.denyAuthorization) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'the user said no');
    } else {
      const code = `code-${randomBytes(18).toString('base64url')}`;
      this.#codes.set(code, {
        clientId: client.clientId,
        redirectUri,
        scope: query.scope ?? '',
        challenge: query.code_challenge,
        method: query.code_challenge_method ?? 'plain',
        used: false,
      });
      back.searchParams.set('code', code);
    }
    return void reply.code(302).header('location', back.toString()).send();
  }

  async #revoke(listener: Listener, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const params = (request.body ?? {}) as Params;
    const token = first(params, 'token') ?? '';
    this.revocationRequests.push({ token, hint: first(params, 'token_type_hint') });
    const scripted = this.#revocationQueue.shift();
    if (scripted !== undefined) return this.#send(reply, scripted);
    const auth = this.#authenticate(listener, request, params);
    if ('error' in auth) return void reply.code(401).send({ error: 'invalid_client' });
    const issued = this.#tokens.get(token);
    // RFC 7009 §2.2: unknown tokens are answered 200 too.
    if (issued !== undefined && issued.clientId === auth.client.clientId) issued.revoked = true;
    return void reply.code(200).send();
  }

  #introspectRoute(listener: Listener, request: FastifyRequest, reply: FastifyReply): void {
    const params = (request.body ?? {}) as Params;
    const auth = this.#authenticate(listener, request, params);
    if ('error' in auth) return void reply.code(401).send({ error: 'invalid_client' });
    const token = first(params, 'token') ?? '';
    const issued = this.#tokens.get(token);
    if (issued === undefined || !this.isActive(token)) return void reply.send({ active: false });
    return void reply.send({
      active: true,
      client_id: issued.clientId,
      scope: issued.scope,
      token_type: 'Bearer',
      ...(issued.expiresAt === undefined ? {} : { exp: Math.floor(issued.expiresAt / 1000) }),
    });
  }

  #send(reply: FastifyReply, scripted: ScriptedResponse): void {
    reply.code(scripted.status);
    for (const [name, value] of Object.entries(scripted.headers ?? {})) reply.header(name, value);
    if (scripted.body === undefined) return void reply.send();
    if (typeof scripted.body === 'string') {
      return void reply
        .type(scripted.headers?.['content-type'] ?? 'text/plain')
        .send(scripted.body);
    }
    return void reply.send(scripted.body);
  }
}
