import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  AUTH_DEFAULTS,
  ApiKeyProvider,
  AuthError,
  BasicAuthProvider,
  IntrospectionProvider,
  JwtProvider,
  MemoryApiKeyStore,
  MtlsProvider,
  PROVIDER_SCHEMAS,
  TrustedProxyProvider,
  buildAuthenticator,
  createAuthenticator,
  generateApiKey,
  hashApiKey,
  parseApiKey,
  validateAuthConfig,
} from '@etdi/auth';
import { testClock } from './support/clock.js';

function thrown(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected an AuthError');
}

async function rejected(run: () => Promise<unknown>): Promise<AuthError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe('options given in code (a JavaScript caller may pass anything)', () => {
  // Each constructor checks its options against the same schema its configuration documents are
  // derived from: every problem at once, each with its JSON pointer.
  it.each([
    [
      'a misspelt option',
      () => new ApiKeyProvider({ store: new MemoryApiKeyStore(), requiredScope: ['x'] } as never),
      '/requiredScope',
      'unknown key "requiredScope"',
    ],
    [
      'a missing store',
      () => new ApiKeyProvider({} as never),
      '/store',
      'missing required key "store"',
    ],
    [
      'a rate limit of zero',
      () =>
        new ApiKeyProvider({
          store: new MemoryApiKeyStore(),
          defaultPolicy: { rateLimits: { perMinute: 0 } },
        }),
      '/defaultPolicy/rateLimits/perMinute',
      'must be >= 1',
    ],
    [
      'allowed hours that are not HH:MM',
      () =>
        new ApiKeyProvider({
          store: new MemoryApiKeyStore(),
          defaultPolicy: { allowedHours: { timeZone: 'UTC', start: '8am', end: '17:00' } },
        }),
      '/defaultPolicy/allowedHours/start',
      expect.stringContaining('must match pattern'),
    ],
    [
      'a timeout that is not a number',
      () =>
        new IntrospectionProvider({
          introspectionEndpoint: 'https://as.example/introspect',
          clientId: 'gw',
          clientSecret: 's',
          timeoutMs: '5s',
        } as never),
      '/timeoutMs',
      'must be integer',
    ],
    [
      'an empty user list entry',
      () => new BasicAuthProvider({ users: [{ username: '', passwordHash: 'x' }] }),
      '/users/0/username',
      'must NOT have fewer than 1 characters',
    ],
    [
      'an identity source that does not exist',
      () => new MtlsProvider({ caCertificates: 'x', identity: 'san-ip' } as never),
      '/identity',
      expect.stringContaining('must be one of'),
    ],
    [
      'a header name with a space',
      () => new TrustedProxyProvider({ proxyUserHeader: 'X User' }),
      '/proxyUserHeader',
      expect.stringContaining('must match pattern'),
    ],
    [
      'no options at all',
      () => new (JwtProvider as unknown as new () => JwtProvider)(),
      '/algorithms',
      'missing required key "algorithms"',
    ],
  ])('refuse %s as invalid-config naming it', (_label, build, pointer, message) => {
    const error = thrown(build);
    expect(error).toMatchObject({ code: 'invalid-config', pointer });
    expect(error.issues).toContainEqual({ pointer, message });
  });

  it('report every problem at once', () => {
    const error = thrown(
      () => new JwtProvider({ algorithm: ['RS256'], publicKey: 'x', issuer: false } as never),
    );
    expect(error.issues.map((i) => i.pointer)).toEqual(
      expect.arrayContaining(['/algorithm', '/algorithms', '/audience']),
    );
  });

  it('checks extraction options once, when an authenticator is built', () => {
    expect(
      thrown(() =>
        createAuthenticator({ providers: [], extract: { headers: { apiKey: 'X Key' } } }),
      ),
    ).toMatchObject({ code: 'invalid-config', pointer: '/headers/apiKey' });
  });

  it('checks the options of issueKey as invalid-argument', async () => {
    const keys = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
    expect(await rejected(() => keys.issueKey({ userId: '' }))).toMatchObject({
      code: 'invalid-argument',
      pointer: '/userId',
    });
    expect(
      await rejected(() =>
        keys.issueKey({ userId: 'u', policy: { rateLimits: { perHour: 1.5 } } }),
      ),
    ).toMatchObject({ code: 'invalid-argument', pointer: '/policy/rateLimits/perHour' });
  });

  it('apply the one defaults object to what is left out', async () => {
    expect(Object.isFrozen(AUTH_DEFAULTS.jwt)).toBe(true);
    const keys = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
    expect(keys.name).toBe(AUTH_DEFAULTS.apiKey.name);
    const issued = await keys.issueKey({ userId: 'u' });
    expect(issued.keyId.startsWith(AUTH_DEFAULTS.apiKey.keyPrefix)).toBe(true);
  });
});

describe('configuration documents: one description, durations with units', () => {
  const apiKey = generateApiKey();
  const keysProvider = (extra: Record<string, unknown>) => ({
    providers: {
      keys: {
        type: 'apiKey',
        keys: [{ keyId: parseApiKey(apiKey)!.keyId, hash: hashApiKey(apiKey), userId: 'ci' }],
        ...extra,
      },
    },
  });

  it('derives each type schema from its options: durations without their unit', () => {
    const jwt = PROVIDER_SCHEMAS.jwt.properties as Record<string, unknown>;
    for (const name of ['clockTolerance', 'maxTokenAge', 'jwksCacheMaxAge', 'sessionTtl'])
      expect(jwt[name], name).toBeDefined();
    for (const name of ['clockToleranceSec', 'jwksTimeoutMs', 'sessionTtlMs', 'logger', 'fetch'])
      expect(jwt[name], name).toBeUndefined();
  });

  it('reads a session lifetime of 2m as 120 000 ms', async () => {
    const clock = testClock();
    const auth = await buildAuthenticator(keysProvider({ sessions: 'memory', sessionTtl: '2m' }), {
      now: clock,
    });
    const result = await auth.authenticateRequest({ headers: { 'x-api-key': apiKey } });
    expect(result.sessionId).toBeDefined();
    const keys = auth.registry.require('keys');
    clock.advance(119_000);
    expect(await keys.validateSession(result.sessionId!)).toBe(true);
    clock.advance(1_000);
    expect(await keys.validateSession(result.sessionId!)).toBe(false);
    await auth.close();
  });

  it('reads a clock tolerance of 30s as 30 seconds', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const pem = await exportSPKI(publicKey);
    const document = (clockTolerance: string) => ({
      providers: {
        jwt: {
          type: 'jwt',
          publicKey: pem,
          algorithms: ['ES256'],
          issuer: 'https://idp.example',
          audience: 'etdi-gateway',
          clockTolerance,
        },
      },
    });
    const expired = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://idp.example')
      .setAudience('etdi-gateway')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(privateKey);
    const request = { headers: { authorization: `Bearer ${expired}` } };
    for (const [tolerance, error] of [
      ['30s', undefined],
      ['5s', 'token-expired'],
    ] as const) {
      const auth = await buildAuthenticator(document(tolerance));
      expect((await auth.authenticateRequest(request)).error, tolerance).toBe(error);
      await auth.close();
    }
  });

  it('refuses a duration option under its code name, naming the document name', () => {
    const error = thrown(() => validateAuthConfig(keysProvider({ sessionTtlMs: 60_000 })));
    expect(error.issues).toEqual([
      { pointer: '/providers/keys/sessionTtlMs', message: 'unknown key "sessionTtlMs"' },
    ]);
  });

  it.each(['10 minutes', '-5s', '1h30m', ''])('refuses the duration %j at its pointer', (value) => {
    const error = thrown(() => validateAuthConfig(keysProvider({ sessionTtl: value })));
    expect(error).toMatchObject({ code: 'invalid-config', pointer: '/providers/keys/sessionTtl' });
  });

  it('refuses a zero session lifetime at its document pointer', async () => {
    const error = await rejected(() => buildAuthenticator(keysProvider({ sessionTtl: '0s' })));
    expect(error).toMatchObject({ code: 'invalid-config', pointer: '/providers/keys/sessionTtl' });
  });
});
