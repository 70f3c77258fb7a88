/**
 * A real OAuth 2.x authorization server for the tests of every package (the one fake allowed: a
 * third-party identity provider): Fastify on 127.0.0.1 with three listeners (plain HTTP, HTTPS,
 * and HTTPS that asks for a client certificate for RFC 8705 `tls_client_auth`), certificates from
 * node-forge via `testing/certs.ts`.
 *
 * Endpoints, on every listener:
 * - `POST /token`: client_credentials, refresh_token and authorization_code (PKCE S256/plain
 *   verified); client_secret_basic, client_secret_post, tls_client_auth and public clients.
 * - `GET /authorize`: issues a code bound to the PKCE challenge and redirects (302) to the
 *   client's redirect URI with `code` and `state`, or with `error` when told to deny.
 * - `POST /revoke`: RFC 7009.
 * - `POST /introspect`: RFC 7662, answering from {@link TestOAuthServer.tokens}.
 * - `GET /userinfo`: OpenID Connect UserInfo, answering from {@link TestOAuthServer.userinfo}.
 *
 * What it knows is in three maps a test reads and writes directly: `tokens` (the RFC 7662 answer
 * of every access token, those it issued and those a test registers), `refreshTokens` (every
 * refresh token, issued or provisioned by a test for a user) and `userinfo`. It records every
 * request, and is scriptable per test: queue canned answers (`enqueue`, e.g. 500 twice or 429
 * with `Retry-After`), hold token answers until the test releases them (`holdTokenAnswers`),
 * change lifetimes, rotate refresh tokens, downgrade the granted scope, deny authorizations, echo
 * requests back, fail introspection (`failWith`).
 *
 * @example
 * const as = await TestOAuthServer.start();
 * as.enqueue({ status: 500 });
 * // ... the client under test requests a token at as.url('http', '/token') ...
 * expect(as.tokenRequests).toHaveLength(2);
 * expect(result.token.value).toBe(as.lastIssued('access_token'));
 * await as.close();
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createTestCa, issueCertificate, type Pem, type TestCa } from './certs.js';

/** Which listener a request arrived on. */
export type Listener = 'http' | 'https' | 'mtls';

/** An endpoint of the server. */
export type Endpoint = '/token' | '/authorize' | '/revoke' | '/introspect' | '/userinfo';

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
  /** Issue a new refresh token on every refresh (and revoke the one redeemed). */
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

/** One request to `/introspect`, as the server saw it. */
export interface IntrospectionRecord {
  readonly authorization?: string | undefined;
  readonly form?: Readonly<Record<string, string>>;
}

/**
 * A refresh token the server honours: issued by it, or provisioned by a test for a user (as an
 * operator provisions an offline token, or as an identity provider holds a user's grant).
 */
export interface RefreshGrant {
  /** The scope of the grant; access tokens it yields get it (or what `grantScope` makes of it). */
  readonly scope: string;
  /** The user the access tokens it yields are for (their introspection `sub`). */
  readonly sub?: string;
  /** The `exp` (epoch seconds) of the access tokens it yields. Default: from `expiresIn`. */
  readonly exp?: number;
  /** The client it belongs to; any client may redeem it when absent. */
  readonly clientId?: string;
  /** Set when it was revoked or rotated away. */
  revoked?: boolean;
}

/** A token the server issued, in {@link TestOAuthServer.issued}. */
export interface IssuedRecord {
  readonly kind: 'access_token' | 'refresh_token';
  readonly token: string;
  readonly clientId: string;
  readonly scope: string;
}

/** Token answers held back by {@link TestOAuthServer.holdTokenAnswers}. */
export interface TokenAnswerGate {
  /** Lets every held token request (and every later one) be answered. */
  release(): void;
}

/** Options of {@link TestOAuthServer.start}. */
export interface TestOAuthServerOptions {
  /** Clients the server knows. Default: every client exported by this module. */
  readonly clients?: readonly TestClient[];
  /** Reuse a CA (and so its certificates) across servers. Default: a new one. */
  readonly ca?: TestCa;
  /** Settings that differ from the defaults, kept across `reset()`. */
  readonly settings?: Partial<TestServerSettings>;
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

/**
 * A resource server that introspects tokens (`@etdi/auth`'s introspection provider), with an id
 * and a secret that every form and Basic encoding changes.
 */
export const RESOURCE_SERVER_CLIENT = {
  clientId: 'etdi gateway',
  clientSecret: 's3cr3t:with/odd&chars',
} as const satisfies TestClient;

const DEFAULT_SETTINGS: Readonly<TestServerSettings> = Object.freeze({
  expiresIn: 3600,
  issueRefreshTokens: false,
  refreshExpiresIn: undefined,
  rotateRefreshTokens: false,
  grantScope: (requested: string) => requested,
  includeScope: true,
  tokenType: 'Bearer',
  delayMs: 0,
  denyAuthorization: false,
  echoRequests: false,
});

interface AuthorizationCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly challenge: string | undefined;
  readonly method: string;
  used: boolean;
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

/** File paths of PEMs written for a client configuration (`mtls.certPath` and friends). */
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
  settings: TestServerSettings;

  /**
   * The RFC 7662 answer of every access token the server knows, by token: those it issued
   * (`active` until revoked) and those a test registers (answered exactly as registered).
   */
  readonly tokens = new Map<string, Record<string, unknown>>();
  /** Every refresh token the server honours, by token. */
  readonly refreshTokens = new Map<string, RefreshGrant>();
  /** UserInfo answers by access token; unknown tokens get 401. */
  readonly userinfo = new Map<string, Record<string, unknown>>();
  /** While set, every introspection request is answered with it. */
  failWith: ScriptedResponse | undefined;

  /** Tokens issued since the last `reset()`, oldest first. */
  readonly issued: IssuedRecord[] = [];
  readonly tokenRequests: TokenRequestRecord[] = [];
  readonly revocationRequests: { readonly token: string; readonly hint: string | undefined }[] = [];
  readonly authorizeRequests: Readonly<Record<string, string>>[] = [];
  /** Introspection requests, as the server saw them. */
  readonly seen: IntrospectionRecord[] = [];
  /** Requests per endpoint since the last `reset()`. */
  readonly calls = { token: 0, introspect: 0, userinfo: 0 };

  readonly #defaults: Readonly<TestServerSettings>;
  readonly #clients = new Map<string, TestClient>();
  readonly #apps = new Map<Listener, FastifyInstance>();
  readonly #urls = new Map<Listener, string>();
  readonly #queue: ScriptedResponse[] = [];
  readonly #revocationQueue: ScriptedResponse[] = [];
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #rawBodies = new WeakMap<object, string>();
  readonly #gates = new Set<() => void>();
  #held: Promise<void> | undefined;
  readonly #arrivals: { readonly count: number; readonly resolve: () => void }[] = [];

  private constructor(options: TestOAuthServerOptions) {
    this.#defaults = Object.freeze({ ...DEFAULT_SETTINGS, ...options.settings });
    this.settings = { ...this.#defaults };
    this.ca = options.ca ?? createTestCa('ETDI OAuth Test CA');
    this.clientCertificate = issueCertificate(this.ca, {
      commonName: MTLS_CLIENT.tlsSubject,
      usage: 'client',
    });
    this.clientFiles = writePemFiles(this.ca, this.clientCertificate);
    const clients = options.clients ?? [
      DEFAULT_CLIENT,
      MTLS_CLIENT,
      PUBLIC_CLIENT,
      RESOURCE_SERVER_CLIENT,
    ];
    for (const client of clients) this.#clients.set(client.clientId, client);
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
    const url = this.#urls.get(listener);
    if (url === undefined) throw new Error(`the ${listener} listener is not started`);
    return url;
  }

  /** Base URL of the plain HTTP listener. */
  get base(): string {
    return this.baseUrl('http');
  }

  /** URL of an endpoint on a listener. */
  url(listener: Listener, path: Endpoint): string {
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
    const refreshToken = `refresh-${randomBytes(18).toString('base64url')}`;
    this.refreshTokens.set(refreshToken, { clientId, scope });
    return refreshToken;
  }

  /** The last token of `kind` issued since the last `reset()`. */
  lastIssued(kind: IssuedRecord['kind'] = 'access_token'): string {
    const found = this.issued.findLast((record) => record.kind === kind);
    if (found === undefined) throw new Error(`no ${kind} was issued`);
    return found.token;
  }

  /** The tokens of `kind` issued since the last `reset()`, oldest first. */
  issuedTokens(kind: IssuedRecord['kind'] = 'access_token'): string[] {
    return this.issued.filter((record) => record.kind === kind).map((record) => record.token);
  }

  /** Whether `token` is an access token the server knows as active and unexpired. */
  isActive(token: string): boolean {
    const answer = this.tokens.get(token);
    return (
      answer?.active === true && (typeof answer.exp !== 'number' || answer.exp * 1000 > Date.now())
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

  /**
   * Forgets recorded requests, queued answers, `failWith` and changed settings. Tokens stay
   * valid: `tokens`, `refreshTokens` and `userinfo` are the test's to clear.
   */
  reset(): void {
    for (const release of [...this.#gates]) release();
    this.settings = { ...this.#defaults };
    this.failWith = undefined;
    this.issued.length = 0;
    this.tokenRequests.length = 0;
    this.revocationRequests.length = 0;
    this.authorizeRequests.length = 0;
    this.seen.length = 0;
    this.calls.token = this.calls.introspect = this.calls.userinfo = 0;
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
    app.post('/introspect', (request, reply) => this.#introspect(listener, request, reply));
    app.get('/authorize', (request, reply) => this.#authorize(request, reply));
    app.get('/userinfo', (request, reply) => this.#userinfo(request, reply));
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

  /**
   * A token response: a new access token (and perhaps a refresh token) for `client`, registered
   * in `tokens` (and `refreshTokens`), for the user and with the `exp` of `grant` when it has them.
   */
  #issue(
    client: TestClient,
    scope: string,
    withRefresh: boolean,
    grant: Pick<RefreshGrant, 'sub' | 'exp'> = {},
  ): Record<string, unknown> {
    const { settings } = this;
    const accessToken = `access-${randomBytes(18).toString('base64url')}`;
    const exp =
      grant.exp ??
      (settings.expiresIn === undefined
        ? undefined
        : Math.floor(Date.now() / 1000) + settings.expiresIn);
    this.tokens.set(accessToken, {
      active: true,
      client_id: client.clientId,
      scope,
      token_type: 'Bearer',
      ...(exp === undefined ? {} : { exp }),
      ...(grant.sub === undefined ? {} : { sub: grant.sub }),
    });
    this.issued.push({
      kind: 'access_token',
      token: accessToken,
      clientId: client.clientId,
      scope,
    });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: settings.tokenType,
    };
    if (settings.expiresIn !== undefined) body.expires_in = settings.expiresIn;
    if (settings.includeScope && scope !== '') body.scope = scope;
    if (withRefresh) {
      const refreshToken = `refresh-${randomBytes(18).toString('base64url')}`;
      this.refreshTokens.set(refreshToken, { ...grant, clientId: client.clientId, scope });
      this.issued.push({
        kind: 'refresh_token',
        token: refreshToken,
        clientId: client.clientId,
        scope,
      });
      body.refresh_token = refreshToken;
      if (settings.refreshExpiresIn !== undefined) {
        body.refresh_expires_in = settings.refreshExpiresIn;
      }
    }
    return body;
  }

  async #token(listener: Listener, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    this.calls.token++;
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
        const grant = this.refreshTokens.get(first(params, 'refresh_token') ?? '');
        if (
          grant === undefined ||
          grant.revoked === true ||
          (grant.clientId !== undefined && grant.clientId !== client.clientId)
        ) {
          return void reply
            .code(400)
            .send({ error: 'invalid_grant', error_description: 'refresh token invalid' });
        }
        const scope = this.settings.grantScope(requested === '' ? grant.scope : requested);
        const rotate = this.settings.rotateRefreshTokens;
        if (rotate) grant.revoked = true;
        return void reply.send(this.#issue(client, scope, rotate, grant));
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
    const clientId = auth.client.clientId;
    const access = this.tokens.get(token);
    // RFC 7662 §2.2: an inactive token's answer says nothing else about it.
    if (access !== undefined && access.client_id === clientId)
      this.tokens.set(token, { active: false });
    const refresh = this.refreshTokens.get(token);
    if (refresh !== undefined && (refresh.clientId ?? clientId) === clientId)
      refresh.revoked = true;
    // RFC 7009 §2.2: unknown tokens are answered 200 too.
    return void reply.code(200).send();
  }

  #introspect(listener: Listener, request: FastifyRequest, reply: FastifyReply): void {
    this.calls.introspect++;
    const params = (request.body ?? {}) as Params;
    const form = Object.fromEntries(
      Object.entries(params).map(([name, value]) => [
        name,
        Array.isArray(value) ? value[0]! : value,
      ]),
    );
    this.seen.push({ authorization: request.headers.authorization, form });
    if (this.failWith !== undefined) return this.#send(reply, this.failWith);
    const auth = this.#authenticate(listener, request, params);
    if ('error' in auth) return void reply.code(401).send({ error: 'invalid_client' });
    return void reply.send(this.tokens.get(form.token ?? '') ?? { active: false });
  }

  #userinfo(request: FastifyRequest, reply: FastifyReply): void {
    this.calls.userinfo++;
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const claims = this.userinfo.get(token);
    if (claims === undefined) return void reply.code(401).send({ error: 'invalid_token' });
    return void reply.send(claims);
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
