import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  CompactSign,
  SignJWT,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
} from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthCredentials,
  AuthError,
  JwtProvider,
  MemoryJtiRevocationStore,
  type JwtProviderOptions,
} from '@etdi/auth';
import { testClock } from './support/clock.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { recordingLogger } from './support/recording-logger.js';

const clock = testClock();
const NOW = Math.floor(clock() / 1000);
const rsa = await generateKeyPair('RS256', { extractable: true });
const ec = await generateKeyPair('ES256', { extractable: true });
const ed = await generateKeyPair('EdDSA', { extractable: true });
const rsaPem = await exportSPKI(rsa.publicKey);
const rsaJwk: JWK = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };

async function sign(
  claims: JWTPayload = {},
  options: {
    alg?: string;
    key?: Parameters<SignJWT['sign']>[0];
    kid?: string | null;
    typ?: string;
  } = {},
): Promise<string> {
  const alg = options.alg ?? 'RS256';
  const header: Record<string, unknown> = { alg };
  if (options.kid !== null) header.kid = options.kid ?? 'rsa-1';
  if (options.typ) header.typ = options.typ;
  return new SignJWT({
    sub: 'alice',
    iss: 'https://idp.example',
    aud: 'etdi-gateway',
    iat: NOW,
    exp: NOW + 300,
    ...claims,
  })
    .setProtectedHeader(header as { alg: string })
    .sign(options.key ?? rsa.privateKey);
}

function provider(options: Partial<JwtProviderOptions> = {}) {
  return new JwtProvider({
    publicKey: rsaPem,
    algorithms: ['RS256'],
    issuer: 'https://idp.example',
    audience: 'etdi-gateway',
    now: clock,
    ...options,
  } as JwtProviderOptions);
}

const bearer = (token: string, context: Record<string, string> = {}) =>
  new AuthCredentials({ accessToken: token, context });

/** A JWS with any header, signed with HMAC over arbitrary key bytes. */
function hmacToken(header: object, payload: object, key: Buffer): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

describe('JwtProvider', () => {
  describe('with a valid token', () => {
    it('authenticates with user, scopes, roles, project and source', async () => {
      const token = await sign({
        scope: 'tools:list tools:call',
        roles: ['dev'],
        tenant: 't1',
        jti: 'j1',
      });
      const result = await provider({ projectClaim: 'tenant' }).authenticate(bearer(token));
      expect(result).toMatchObject({
        status: 'success',
        userId: 'alice',
        projectId: 't1',
        permissions: ['tools:list', 'tools:call'],
        roles: ['dev'],
        source: { provider: 'jwt', method: 'jwt' },
        metadata: {
          iss: 'https://idp.example',
          aud: 'etdi-gateway',
          jti: 'j1',
          kid: 'rsa-1',
          alg: 'RS256',
        },
        expiresAt: (NOW + 300) * 1000,
      });
    });
    it('reads scopes from an scp array', async () => {
      const result = await provider().authenticate(bearer(await sign({ scp: ['a', 'b'] })));
      expect(result.permissions).toEqual(['a', 'b']);
    });
    it('verifies ES256 with a JWK and EdDSA with a static JWKS', async () => {
      const es = await sign({}, { alg: 'ES256', key: ec.privateKey });
      const esJwk = await exportJWK(ec.publicKey);
      expect(
        (await provider({ publicKey: esJwk, algorithms: ['ES256'] }).authenticate(bearer(es)))
          .isSuccess,
      ).toBe(true);
      const eddsa = await sign({}, { alg: 'EdDSA', key: ed.privateKey, kid: 'ed-1' });
      const jwks = { keys: [{ ...(await exportJWK(ed.publicKey)), kid: 'ed-1' }] };
      const p = provider({ publicKey: undefined, jwks, algorithms: ['EdDSA'] });
      expect((await p.authenticate(bearer(eddsa))).isSuccess).toBe(true);
    });
    it('verifies HS256 with a secret of enough bytes', async () => {
      const secret = randomBytes(32);
      const token = await sign({}, { alg: 'HS256', key: secret });
      const p = provider({ publicKey: undefined, secret, algorithms: ['HS256'] });
      expect((await p.authenticate(bearer(token))).isSuccess).toBe(true);
    });
    it('checks the typ header when configured', async () => {
      const p = provider({ typ: 'at+jwt' });
      expect((await p.authenticate(bearer(await sign({}, { typ: 'at+jwt' })))).isSuccess).toBe(
        true,
      );
      expect(await p.authenticate(bearer(await sign({}, { typ: 'JWT' })))).toMatchObject({
        status: 'invalid-credentials',
        error: 'invalid-claim',
      });
    });
  });

  describe('time claims', () => {
    it('refuses an expired token with status expired', async () => {
      const token = await sign({ exp: NOW - 1 });
      expect(await provider().authenticate(bearer(token))).toMatchObject({
        status: 'expired',
        error: 'token-expired',
      });
    });
    it('allows the configured clock tolerance', async () => {
      const token = await sign({ exp: NOW - 20 });
      expect(
        (await provider({ clockToleranceSec: 30 }).authenticate(bearer(token))).isSuccess,
      ).toBe(true);
    });
    it('refuses a token that is not valid yet', async () => {
      expect(await provider().authenticate(bearer(await sign({ nbf: NOW + 60 })))).toMatchObject({
        status: 'invalid-credentials',
        error: 'token-not-yet-valid',
      });
    });
    it('refuses a token older than maxTokenAgeSec', async () => {
      const token = await sign({ iat: NOW - 3600, exp: NOW + 60 });
      expect(await provider({ maxTokenAgeSec: 600 }).authenticate(bearer(token))).toMatchObject({
        status: 'expired',
        error: 'token-expired',
      });
    });
    it('follows the injected clock', async () => {
      const token = await sign({ exp: NOW + 10 });
      const local = testClock(clock());
      const p = provider({ now: local });
      expect((await p.authenticate(bearer(token))).isSuccess).toBe(true);
      local.advance(10_000);
      expect((await p.authenticate(bearer(token))).error).toBe('token-expired');
    });
  });

  describe('claims', () => {
    it.each([
      ['issuer', { iss: 'https://evil.example' }, 'issuer-mismatch'],
      ['audience', { aud: 'other-service' }, 'audience-mismatch'],
      ['missing audience', { aud: undefined }, 'missing-claim'],
      ['missing subject', { sub: undefined }, 'missing-claim'],
      ['non-string subject', { sub: 42 }, 'invalid-claim'],
      ['malformed scope', { scope: 42 }, 'invalid-claim'],
      ['malformed roles', { roles: 'admin' }, 'invalid-claim'],
    ])('refuses a wrong %s', async (_label, claims, error) => {
      const result = await provider().authenticate(bearer(await sign(claims as JWTPayload)));
      expect(result).toMatchObject({ status: 'invalid-credentials', error });
    });
    it('requires the configured claims', async () => {
      expect(
        await provider({ requiredClaims: ['jti'] }).authenticate(bearer(await sign())),
      ).toMatchObject({
        error: 'missing-claim',
        message: 'JWT is missing the "jti" claim',
      });
    });
    it('requires the configured scopes', async () => {
      const result = await provider({ requiredScopes: ['mcp'] }).authenticate(
        bearer(await sign({ scope: 'x' })),
      );
      expect(result).toMatchObject({
        status: 'insufficient-permissions',
        error: 'insufficient-scope',
      });
    });
  });

  describe('signatures and algorithms', () => {
    it('refuses a tampered payload', async () => {
      const [h, , s] = (await sign()).split('.');
      const forged = Buffer.from(
        JSON.stringify({
          sub: 'admin',
          iss: 'https://idp.example',
          aud: 'etdi-gateway',
          exp: NOW + 60,
        }),
      ).toString('base64url');
      expect(await provider().authenticate(bearer(`${h}.${forged}.${s}`))).toMatchObject({
        status: 'invalid-credentials',
        error: 'bad-signature',
      });
    });
    it('refuses a token signed by another key', async () => {
      const other = await generateKeyPair('RS256');
      expect(
        await provider().authenticate(bearer(await sign({}, { key: other.privateKey }))),
      ).toMatchObject({
        error: 'bad-signature',
      });
    });
    it('refuses alg "none"', async () => {
      const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const token = `${b64({ alg: 'none' })}.${b64({ sub: 'admin', exp: NOW + 60 })}.`;
      expect(await provider().authenticate(bearer(token))).toMatchObject({
        status: 'invalid-credentials',
        error: 'alg-not-allowed',
      });
    });
    it('refuses algorithm confusion: HS256 signed with the RSA public key bytes', async () => {
      const payload = {
        sub: 'admin',
        iss: 'https://idp.example',
        aud: 'etdi-gateway',
        exp: NOW + 60,
      };
      for (const keyBytes of [Buffer.from(rsaPem), Buffer.from(JSON.stringify(rsaJwk))]) {
        const token = hmacToken({ alg: 'HS256', kid: 'rsa-1' }, payload, keyBytes);
        expect(await provider().authenticate(bearer(token))).toMatchObject({
          status: 'invalid-credentials',
          error: 'alg-not-allowed',
        });
        const viaJwks = provider({ publicKey: undefined, jwks: { keys: [rsaJwk] } });
        expect((await viaJwks.authenticate(bearer(token))).error).toBe('alg-not-allowed');
      }
    });
    it('refuses algorithm confusion with an EC public key too', async () => {
      const ecPem = await exportSPKI(ec.publicKey);
      const token = hmacToken(
        { alg: 'HS256' },
        { sub: 'admin', exp: NOW + 60 },
        Buffer.from(ecPem),
      );
      const p = provider({ publicKey: ecPem, algorithms: ['ES256'] });
      expect((await p.authenticate(bearer(token))).error).toBe('alg-not-allowed');
    });
    it('refuses an asymmetric token when only HS256 is allowed', async () => {
      const p = provider({ publicKey: undefined, secret: randomBytes(32), algorithms: ['HS256'] });
      expect((await p.authenticate(bearer(await sign()))).error).toBe('alg-not-allowed');
    });
  });

  describe('malformed input', () => {
    it('stands aside for an opaque (non-JWT) bearer token', async () => {
      expect(await provider().authenticate(bearer('opaque-token-123'))).toMatchObject({
        status: 'failure',
        error: 'no-credentials',
      });
    });
    it('stands aside without a token', async () => {
      expect((await provider().authenticate(new AuthCredentials())).error).toBe('no-credentials');
    });
    it('refuses a header that is not JSON', async () => {
      expect(await provider().authenticate(bearer('bm90anNvbg.e30.sig'))).toMatchObject({
        status: 'invalid-credentials',
        error: 'malformed-token',
      });
    });
    it('refuses a signed payload that is not a claims object', async () => {
      const token = await new CompactSign(new TextEncoder().encode('[1,2,3]'))
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
        .sign(rsa.privateKey);
      expect(await provider().authenticate(bearer(token))).toMatchObject({
        error: 'malformed-token',
      });
    });
    it('refuses an oversized token before parsing it', async () => {
      const token = `${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`;
      expect(await provider().authenticate(bearer(token))).toMatchObject({
        status: 'invalid-credentials',
        error: 'credential-too-large',
      });
    });
  });

  describe('jti revocation', () => {
    it('refuses a revoked token until it would have expired anyway', async () => {
      const local = testClock(clock());
      const revocations = new MemoryJtiRevocationStore({ now: local });
      const p = provider({ revocations, now: local });
      const token = await sign({ jti: 'token-1', exp: NOW + 120 });
      expect((await p.authenticate(bearer(token))).isSuccess).toBe(true);
      await p.revoke('token-1', (NOW + 120) * 1000);
      expect(await p.authenticate(bearer(token))).toMatchObject({
        status: 'invalid-credentials',
        error: 'token-revoked',
      });
      local.advance(120_000);
      expect(await revocations.isRevoked('token-1')).toBe(false);
      expect((await p.authenticate(bearer(token))).error).toBe('token-expired');
    });
    it('keeps a token revoked through the clock tolerance past its exp', async () => {
      const local = testClock(clock());
      const revocations = new MemoryJtiRevocationStore({ now: local });
      const p = provider({ revocations, now: local, clockToleranceSec: 30 });
      const exp = NOW + 60;
      const token = await sign({ jti: 'token-2', exp });
      await p.revoke('token-2', exp * 1000);
      // 10 s past exp the tolerance still accepts the token: the revocation must still hold.
      local.set(exp * 1000 + 10_000);
      expect(await p.authenticate(bearer(token))).toMatchObject({
        status: 'invalid-credentials',
        error: 'token-revoked',
      });
      local.set(exp * 1000 + 29_000);
      expect((await p.authenticate(bearer(token))).error).toBe('token-revoked');
      local.set(exp * 1000 + 31_000);
      expect((await p.authenticate(bearer(token))).error).toBe('token-expired');
      expect(await revocations.isRevoked('token-2')).toBe(false);
    });
    it('revokes a token already past its exp but still inside the tolerance', async () => {
      const local = testClock(clock());
      const revocations = new MemoryJtiRevocationStore({ now: local });
      const p = provider({ revocations, now: local, clockToleranceSec: 30 });
      const exp = NOW + 60;
      const token = await sign({ jti: 'token-3', exp });
      local.set(exp * 1000 + 5_000);
      expect((await p.authenticate(bearer(token))).isSuccess).toBe(true);
      await p.revoke('token-3', exp * 1000);
      expect((await p.authenticate(bearer(token))).error).toBe('token-revoked');
    });
    it('answers error when the revocation store fails', async () => {
      const p = provider({
        revocations: { revoke: async () => {}, isRevoked: () => Promise.reject(new Error('down')) },
      });
      expect(await p.authenticate(bearer(await sign({ jti: 'x' })))).toMatchObject({
        status: 'error',
        error: 'store-unavailable',
      });
    });
    it('cannot revoke without a store', async () => {
      await expect(provider().revoke('x', 0)).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });

  describe('policy-bound tokens', () => {
    it('only accepts the token on the endpoints its claim allows', async () => {
      const token = await sign({ allowed_endpoints: ['POST /mcp', '/tools/*'] });
      const p = provider();
      const at = (method: string, path: string) => p.authenticate(bearer(token, { method, path }));
      expect((await at('POST', '/mcp')).isSuccess).toBe(true);
      expect((await at('GET', '/tools/list')).isSuccess).toBe(true);
      expect(await at('GET', '/mcp')).toMatchObject({
        status: 'insufficient-permissions',
        error: 'endpoint-not-allowed',
      });
      expect((await at('POST', '/tools/../admin')).error).toBe('endpoint-not-allowed');
    });
    it('refuses a malformed policy claim', async () => {
      for (const claim of ['/mcp', [42], ['no-leading-slash']]) {
        const token = await sign({ allowed_endpoints: claim });
        expect((await provider().authenticate(bearer(token, { path: '/mcp' }))).error).toBe(
          'invalid-claim',
        );
      }
    });
    it('uses a configured claim name', async () => {
      const token = await sign({ 'https://etdi.dev/endpoints': ['/only'] });
      const p = provider({ endpointsClaim: 'https://etdi.dev/endpoints' });
      expect((await p.authenticate(bearer(token, { path: '/elsewhere' }))).error).toBe(
        'endpoint-not-allowed',
      );
    });
  });

  describe('configuration', () => {
    const expectConfigError = (options: Partial<JwtProviderOptions>, pointer: string) => {
      let caught: unknown;
      try {
        provider(options);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AuthError);
      expect(caught).toMatchObject({ code: 'invalid-config', pointer });
    };
    it('requires a non-empty algorithm allowlist', () =>
      expectConfigError({ algorithms: [] }, '/algorithms'));
    it('refuses "none" and unknown algorithms', () => {
      expectConfigError({ algorithms: ['none' as 'RS256'] }, '/algorithms/0');
      expectConfigError({ algorithms: ['RS256', 'XX1' as 'RS256'] }, '/algorithms/1');
    });
    it('refuses HS* together with a public key (algorithm confusion by configuration)', () => {
      expectConfigError({ algorithms: ['RS256', 'HS256'] }, '/algorithms');
      expectConfigError(
        { publicKey: undefined, jwksUrl: 'https://idp/jwks', algorithms: ['HS256'] },
        '/algorithms',
      );
    });
    it('refuses asymmetric algorithms with a secret', () =>
      expectConfigError(
        { publicKey: undefined, secret: randomBytes(32), algorithms: ['RS256'] },
        '/algorithms',
      ));
    it('refuses a secret shorter than the hash', () =>
      expectConfigError(
        { publicKey: undefined, secret: 'short', algorithms: ['HS256'] },
        '/secret',
      ));
    it('requires exactly one key source', () => {
      expectConfigError({ publicKey: undefined }, '');
      expectConfigError({ jwks: { keys: [] } }, '');
    });
    it('refuses a key that cannot verify the algorithms', () =>
      expectConfigError({ algorithms: ['ES256'] }, '/algorithms'));
    it('refuses a JWKS URL that is not http(s)', () =>
      expectConfigError({ publicKey: undefined, jwksUrl: 'file:///etc/jwks.json' }, '/jwksUrl'));
    it('refuses a plain http JWKS URL: anyone on the path could swap the keys', () => {
      expectConfigError({ publicKey: undefined, jwksUrl: 'http://idp.example/jwks' }, '/jwksUrl');
      // Not even with allowLoopbackHttp, unless the host is a loopback one.
      expectConfigError(
        { publicKey: undefined, jwksUrl: 'http://idp.example/jwks', allowLoopbackHttp: true },
        '/jwksUrl',
      );
      expectConfigError(
        { publicKey: undefined, jwksUrl: 'http://127.0.0.1:8080/jwks' },
        '/jwksUrl',
      );
      expect(() =>
        provider({
          publicKey: undefined,
          jwksUrl: 'http://127.0.0.1:8080/jwks',
          allowLoopbackHttp: true,
        }),
      ).not.toThrow();
      expectConfigError(
        { publicKey: undefined, jwksUrl: 'https://user:pw@idp.example/jwks' },
        '/jwksUrl',
      );
    });
    describe('issuer, audience and exp', () => {
      it('requires the issuer and the audience', () => {
        expectConfigError({ issuer: undefined } as unknown as JwtProviderOptions, '/issuer');
        expectConfigError({ audience: undefined } as unknown as JwtProviderOptions, '/audience');
        expectConfigError({ audience: [] }, '/audience');
        expectConfigError({ issuer: [''] }, '/issuer');
      });
      it('reports them missing from a configuration document', () => {
        const result = provider().validateConfig({ type: 'jwt', algorithms: ['RS256'] });
        expect(result.issues).toEqual(
          expect.arrayContaining([
            { pointer: '/issuer', message: 'missing required key "issuer"' },
            { pointer: '/audience', message: 'missing required key "audience"' },
          ]),
        );
        expect(
          provider().validateConfig({
            type: 'jwt',
            algorithms: ['RS256'],
            issuer: false,
            audience: ['etdi-gateway'],
          }),
        ).toMatchObject({ valid: true });
        expect(provider().requiredConfigKeys()).toEqual([
          'type',
          'algorithms',
          'issuer',
          'audience',
        ]);
      });
      it('refuses a token minted for another service with audience-mismatch', async () => {
        const p = provider({ audience: ['etdi-gateway', 'etdi-registry'] });
        for (const aud of ['other-service', ['other-service', 'x']]) {
          expect(await p.authenticate(bearer(await sign({ aud })))).toMatchObject({
            status: 'invalid-credentials',
            error: 'audience-mismatch',
          });
        }
        expect((await p.authenticate(bearer(await sign({ aud: 'etdi-registry' })))).isSuccess).toBe(
          true,
        );
      });
      it('accepts any issuer or audience only when told so, with a warning at start-up', async () => {
        const logger = recordingLogger();
        const p = provider({ issuer: false, audience: false, logger });
        expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
          'SECURITY: JWT provider accepts tokens of any issuer (issuer: false)',
          'SECURITY: JWT provider accepts tokens of any audience (audience: false)',
        ]);
        const foreign = await sign({ iss: 'https://elsewhere', aud: 'other-service' });
        expect((await p.authenticate(bearer(foreign))).isSuccess).toBe(true);
      });
      it('refuses a token without exp unless told otherwise', async () => {
        const forever = await sign({ exp: undefined });
        expect(await provider().authenticate(bearer(forever))).toMatchObject({
          status: 'invalid-credentials',
          error: 'missing-claim',
          message: 'JWT is missing the "exp" claim',
        });
        expect(
          (await provider({ requireExp: false }).authenticate(bearer(forever))).isSuccess,
        ).toBe(true);
      });
    });
    it('turns a private key PEM into its public key', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(() => provider({ publicKey: pem })).not.toThrow();
    });
  });
});

describe('JwtProvider with a JWKS URL', () => {
  let server: JwksServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function remote(options: Partial<JwtProviderOptions> = {}) {
    server = await startJwksServer([rsaJwk]);
    const local = testClock(clock());
    const p = provider({
      publicKey: undefined,
      jwksUrl: server.url,
      allowLoopbackHttp: true,
      now: local,
      ...options,
    });
    return { p, local, server };
  }

  it('fetches once and serves later tokens from the cache, even concurrently', async () => {
    const { p, server } = await remote();
    const token = await sign();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => p.authenticate(bearer(token))),
    );
    expect(results.every((r) => r.isSuccess)).toBe(true);
    for (let i = 0; i < 10; i++) await p.authenticate(bearer(token));
    expect(server.requests).toBe(1);
    expect(p.jwksFetches).toBe(1);
  });

  it('refetches on an unknown kid (key rotation), at most once per cooldown', async () => {
    const { p, local, server } = await remote({ jwksCooldownMs: 30_000 });
    expect((await p.authenticate(bearer(await sign()))).isSuccess).toBe(true);
    const next = await generateKeyPair('RS256');
    const nextJwk = { ...(await exportJWK(next.publicKey)), kid: 'rsa-2' };
    server.keys = [rsaJwk, nextJwk];
    const rotated = await sign({}, { key: next.privateKey, kid: 'rsa-2' });
    // Within the cooldown of the first fetch: the new kid is not known yet.
    local.advance(5_000);
    expect((await p.authenticate(bearer(rotated))).error).toBe('unknown-key');
    // A flood of made-up kids does not reach the JWKS server.
    for (let i = 0; i < 50; i++) {
      const r = await p.authenticate(bearer(await sign({}, { kid: `made-up-${i}` })));
      expect(r.error).toBe('unknown-key');
    }
    expect(server.requests).toBe(1);
    local.advance(30_000);
    expect((await p.authenticate(bearer(rotated))).isSuccess).toBe(true);
    expect(server.requests).toBe(2);
    for (let i = 0; i < 20; i++)
      await p.authenticate(bearer(await sign({}, { kid: `again-${i}` })));
    expect(server.requests).toBe(2);
  });

  it('refetches when the cache is older than its maximum age', async () => {
    const { p, local, server } = await remote({ jwksCacheMaxAgeMs: 600_000 });
    const token = await sign({ exp: NOW + 7200 });
    await p.authenticate(bearer(token));
    local.advance(599_000);
    await p.authenticate(bearer(token));
    expect(server.requests).toBe(1);
    local.advance(1_000);
    await p.authenticate(bearer(token));
    expect(server.requests).toBe(2);
  });

  it('answers error when the JWKS cannot be fetched, without hammering it', async () => {
    const { p, local, server } = await remote();
    server.status = 503;
    const token = await sign();
    for (let i = 0; i < 5; i++) {
      expect(await p.authenticate(bearer(token))).toMatchObject({
        status: 'error',
        error: 'jwks-unavailable',
      });
    }
    expect(server.requests).toBe(1);
    local.advance(30_000);
    server.status = 200;
    expect((await p.authenticate(bearer(token))).isSuccess).toBe(true);
    expect(server.requests).toBe(2);
  });

  it('keeps using the last good set for a while when a refetch fails', async () => {
    const { p, local, server } = await remote({ jwksCacheMaxAgeMs: 60_000 });
    const token = await sign({ exp: NOW + 100_000 });
    expect((await p.authenticate(bearer(token))).isSuccess).toBe(true);
    server.status = 500;
    local.advance(61_000);
    expect((await p.authenticate(bearer(token))).isSuccess).toBe(true);
    expect(server.requests).toBe(2);
    local.advance(3_600_000);
    expect((await p.authenticate(bearer(token))).error).toBe('jwks-unavailable');
  });

  it('answers error for a JWKS document that is not a key set', async () => {
    server = await startJwksServer();
    server.body = '{"nokeys": true}';
    const p = provider({ publicKey: undefined, jwksUrl: server.url, allowLoopbackHttp: true });
    expect((await p.authenticate(bearer(await sign()))).error).toBe('jwks-unavailable');
  });

  it('drops symmetric and private keys from a published set', async () => {
    const leaked = await generateKeyPair('RS256', { extractable: true });
    const privateJwk = { ...(await exportJWK(leaked.privateKey)), kid: 'leaked' };
    const { p, server } = await remote();
    server.keys = [rsaJwk, privateJwk, { kty: 'oct', k: 'c2VjcmV0', kid: 'sym' }];
    const token = await sign({}, { key: leaked.privateKey, kid: 'leaked' });
    expect((await p.authenticate(bearer(token))).error).toBe('unknown-key');
  });

  it('tries every fitting key when the token names no kid', async () => {
    const other = await generateKeyPair('RS256');
    const otherJwk = { ...(await exportJWK(other.publicKey)), kid: 'other' };
    const { p, server } = await remote();
    server.keys = [otherJwk, rsaJwk];
    expect(await p.authenticate(bearer(await sign({}, { kid: null })))).toMatchObject({
      status: 'success',
      userId: 'alice',
    });
    const stranger = await generateKeyPair('RS256');
    expect(
      (await p.authenticate(bearer(await sign({}, { kid: null, key: stranger.privateKey })))).error,
    ).toBe('bad-signature');
  });
});
