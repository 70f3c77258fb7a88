import { inspect } from 'node:util';
import { createConsoleLogger } from '@etdi/core';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyProvider,
  AuthCredentials,
  BasicAuthProvider,
  BaseAuthProvider,
  IntrospectionProvider,
  JwtProvider,
  MemoryApiKeyStore,
  MemorySessionStore,
  TrustedProxyProvider,
  createAuthenticator,
  hashPassword,
  type AuthMethod,
  type AuthResult,
} from '@etdi/auth';
import { recordingLogger } from './support/recording-logger.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startAuthorizationServer,
  type TestAuthorizationServer,
} from './support/oauth-server.js';

// A provider that carelessly logs everything it is given: the redaction must still hold.
class CarelessProvider extends BaseAuthProvider {
  readonly version = '0';
  protected readonly method: AuthMethod = 'custom';
  constructor(logger: ReturnType<typeof recordingLogger>) {
    super('careless', { logger });
  }
  supportedMethods(): readonly AuthMethod[] {
    return ['custom'];
  }
  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    this.logger.info(
      {
        credentials,
        apiKey: credentials.apiKey,
        accessToken: credentials.accessToken,
        password: credentials.password,
        nested: {
          clientSecret: CLIENT_SECRET,
          headers: { authorization: credentials.header('authorization') },
        },
      },
      'careless',
    );
    return this.noCredentials('never mind');
  }
}

describe('no secret reaches a log line or a shown result', () => {
  let as: TestAuthorizationServer;
  beforeAll(async () => {
    as = await startAuthorizationServer();
  });
  afterAll(() => as.close());

  it('holds for every provider, on success and on failure', async () => {
    const logger = recordingLogger();
    const sessions = new MemorySessionStore();
    const keys = new ApiKeyProvider({
      store: new MemoryApiKeyStore(),
      logger,
      sessions,
      pepper: 'pepper-secret-value',
    });
    const apiKey = (
      await keys.issueKey({ userId: 'alice', policy: { rateLimits: { perMinute: 2 } } })
    ).reveal();
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwt = new JwtProvider({
      publicKey,
      algorithms: ['ES256'],
      issuer: 'https://idp.example',
      audience: 'etdi-gateway',
      logger,
      sessions,
    });
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://idp.example')
      .setAudience('etdi-gateway')
      .setExpirationTime('5m')
      .sign(privateKey);
    const basic = new BasicAuthProvider({
      users: [
        { username: 'ops', passwordHash: await hashPassword('basic-password-secret', { ln: 10 }) },
      ],
      logger,
    });
    as.tokens.set('opaque-access-token-secret', { active: true, sub: 'carol' });
    as.refreshTokens.set('refresh-token-secret-value', {
      sub: 'carol',
      scope: '',
      exp: 4_000_000_000,
    });
    const oauth = new IntrospectionProvider({
      introspectionEndpoint: `${as.base}/introspect`,
      tokenEndpoint: `${as.base}/token`,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      allowLoopbackHttp: true,
      logger,
    });
    const proxy = new TrustedProxyProvider({
      trustProxyAuth: true,
      trustedProxies: ['10.0.0.0/8'],
      logger,
    });
    const careless = new CarelessProvider(logger);
    const auth = createAuthenticator({
      providers: [careless, keys, jwt, basic, oauth, proxy],
      logger,
    });

    const secrets = [
      apiKey,
      apiKey.split('.')[1]!,
      token,
      token.split('.')[2]!,
      'basic-password-secret',
      'opaque-access-token-secret',
      'refresh-token-secret-value',
      CLIENT_SECRET,
      'pepper-secret-value',
      'wrong-password-secret',
    ];
    const basicHeader = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const requests = [
      { 'x-api-key': apiKey },
      { 'x-api-key': apiKey },
      { 'x-api-key': apiKey },
      { 'x-api-key': `${apiKey.split('.')[0]}.${'A'.repeat(43)}` },
      { authorization: `Bearer ${token}` },
      { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
      { authorization: basicHeader('ops', 'basic-password-secret') },
      { authorization: basicHeader('ops', 'wrong-password-secret') },
      { authorization: 'Bearer opaque-access-token-secret' },
      { authorization: 'Bearer opaque-access-token-secret', 'x-authenticated-user': 'x' },
      { authorization: ['Bearer opaque-access-token-secret', 'Bearer other'] },
    ];
    const shown: string[] = [];
    for (const headers of requests) {
      const result = await auth.authenticateRequest({
        headers,
        socket: { remoteAddress: '192.0.2.1' },
        url: '/mcp',
      });
      shown.push(JSON.stringify(result), inspect(result, { depth: Infinity }), result.message);
    }
    const refreshed = await oauth.refreshAuthentication(
      'x',
      new AuthCredentials({ refreshToken: 'refresh-token-secret-value' }),
    );
    expect(refreshed.isSuccess).toBe(true);
    shown.push(JSON.stringify(refreshed), inspect(refreshed), String(refreshed.tokens));
    secrets.push(refreshed.tokens!.accessToken, refreshed.tokens!.refreshToken!);

    expect(logger.lines.length).toBeGreaterThan(20);
    const logged = logger.text();
    for (const secret of secrets) {
      expect(logged, `log leaks ${secret.slice(0, 8)}…`).not.toContain(secret);
      for (const text of shown)
        expect(text, `result leaks ${secret.slice(0, 8)}…`).not.toContain(secret);
    }
    // The careless provider's fields were masked, not dropped.
    expect(logged).toContain('****');
  });

  it('holds for the console logger as well', async () => {
    const lines: string[] = [];
    const logger = createConsoleLogger({
      level: 'debug',
      stream: { write: (l: string) => lines.push(l) },
    });
    logger.info(
      {
        token: 'console-secret-token',
        credentials: new AuthCredentials({ password: 'console-pass-word' }),
      },
      'x',
    );
    expect(lines.join('')).not.toContain('console-secret-token');
    expect(lines.join('')).not.toContain('console-pass-word');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'x', token: '****oken' });
  });
});
