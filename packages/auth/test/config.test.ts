import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type AuthCredentials,
  AuthError,
  BaseAuthProvider,
  PROVIDER_SCHEMAS,
  buildAuthenticator,
  generateApiKey,
  hashApiKey,
  hashPassword,
  loadAuthConfig,
  parseApiKey,
  parseAuthConfig,
  validateAuthConfig,
  type AuthMethod,
  type AuthResult,
  type CustomProviderType,
} from '@etdi/auth';
import { createTestCa, issueCertificate } from '../../../testing/certs.js';
import { recordingLogger } from './support/recording-logger.js';

function configError(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected a configuration error');
}

async function asyncConfigError(run: () => Promise<unknown>): Promise<AuthError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected a configuration error');
}

describe('validateAuthConfig', () => {
  it('accepts a minimal document', () => {
    const config = validateAuthConfig({ providers: { keys: { type: 'apiKey' } } });
    expect(config.providers.keys?.type).toBe('apiKey');
  });

  it('reports every unknown key and missing required key, each with its path', () => {
    const error = configError(() =>
      validateAuthConfig({
        providers: {
          jwt: { type: 'jwt', algorithm: ['RS256'], jwksUrl: 'https://idp/jwks' },
          basic: { type: 'basic' },
        },
        chian: {},
      }),
    );
    expect(error.code).toBe('invalid-config');
    expect(error.issues).toEqual([{ pointer: '/chian', message: 'unknown key "chian"' }]);
    const second = configError(() =>
      validateAuthConfig({
        providers: {
          jwt: { type: 'jwt', algorithm: ['RS256'], jwksUrl: 'https://idp/jwks' },
          basic: { type: 'basic' },
        },
      }),
    );
    expect(second.issues).toEqual(
      expect.arrayContaining([
        { pointer: '/providers/jwt/algorithms', message: 'missing required key "algorithms"' },
        { pointer: '/providers/jwt/algorithm', message: 'unknown key "algorithm"' },
        { pointer: '/providers/basic/users', message: 'missing required key "users"' },
      ]),
    );
    expect(second.message).toContain('/providers/jwt/algorithm: unknown key "algorithm"');
  });

  it('reports wrong types with their path', () => {
    const error = configError(() =>
      validateAuthConfig({
        providers: { p: { type: 'proxy', trustProxyAuth: 'yes', trustedProxies: '10.0.0.0/8' } },
        extraction: { maxCredentialLength: 'big' },
      }),
    );
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { pointer: '/extraction/maxCredentialLength', message: 'must be integer' },
      ]),
    );
    const inner = configError(() =>
      validateAuthConfig({
        providers: { p: { type: 'proxy', trustProxyAuth: 'yes', trustedProxies: '10.0.0.0/8' } },
      }),
    );
    expect(inner.issues).toEqual([
      { pointer: '/providers/p/trustProxyAuth', message: 'must be boolean' },
      { pointer: '/providers/p/trustedProxies', message: 'must be array' },
    ]);
  });

  it('reports an unknown provider type, listing the known ones', () => {
    const error = configError(() => validateAuthConfig({ providers: { x: { type: 'saml' } } }));
    expect(error.issues).toEqual([
      {
        pointer: '/providers/x/type',
        message: 'unknown provider type "saml" (known: apiKey, jwt, oauth2, basic, mtls, proxy)',
      },
    ]);
  });

  it('reports a chain naming an unknown or repeated provider', () => {
    const error = configError(() =>
      validateAuthConfig({
        providers: { keys: { type: 'apiKey' } },
        chain: { providers: ['keys', 'jtw', 'keys'] },
      }),
    );
    expect(error.issues).toEqual([
      { pointer: '/chain/providers/1', message: 'unknown provider "jtw" (configured: keys)' },
      { pointer: '/chain/providers/2', message: 'provider "keys" is listed twice' },
    ]);
  });

  it('requires a Redis URL when a store uses Redis', () => {
    const error = configError(() =>
      validateAuthConfig({ providers: { keys: { type: 'apiKey', store: 'redis' } } }),
    );
    expect(error.issues).toEqual([
      {
        pointer: '/redis',
        message: 'missing: /providers/keys/store uses Redis, so "redis.url" is required',
      },
    ]);
  });

  it('resolves ${env:NAME} references and reports missing variables', () => {
    const config = validateAuthConfig(
      {
        providers: {
          o: {
            type: 'oauth2',
            clientId: 'gw',
            clientSecret: '${env:SECRET}',
            introspectionEndpoint: 'https://as/i',
          },
        },
      },
      { env: { SECRET: 's3cr3t' } },
    );
    expect(config.providers.o?.clientSecret).toBe('s3cr3t');
    const error = configError(() =>
      validateAuthConfig(
        { providers: { o: { type: 'oauth2', clientId: 'gw', clientSecret: '${env:MISSING}' } } },
        { env: {} },
      ),
    );
    expect(error.issues).toContainEqual({
      pointer: '/providers/o/clientSecret',
      message: 'environment variable MISSING is not set',
    });
  });

  it('refuses a document that is not an object', () => {
    expect(configError(() => validateAuthConfig(null)).issues).toEqual([
      { pointer: '', message: 'must be object' },
    ]);
    expect(configError(() => validateAuthConfig({ providers: {} })).issues[0]?.pointer).toBe(
      '/providers',
    );
  });

  it('exposes each provider type schema', () => {
    expect(Object.keys(PROVIDER_SCHEMAS)).toEqual([
      'apiKey',
      'jwt',
      'oauth2',
      'basic',
      'mtls',
      'proxy',
    ]);
  });
});

describe('parseAuthConfig', () => {
  const yaml = `
chain:
  mode: anyOf
  providers: [proxy, keys]
providers:
  proxy:
    type: proxy
    trustProxyAuth: true
    trustedProxies: [10.0.0.0/8]
  keys:
    type: apiKey
    defaultPolicy:
      rateLimits: { perMinute: 60 }
extraction:
  headers: { apiKey: X-Api-Key }
`;

  it('reads YAML', () => {
    const config = parseAuthConfig(yaml, 'yaml');
    expect(config.chain).toEqual({ mode: 'anyOf', providers: ['proxy', 'keys'] });
    expect(config.providers.proxy).toMatchObject({ trustedProxies: ['10.0.0.0/8'] });
  });

  it('refuses a YAML key given twice', () => {
    const error = configError(() =>
      parseAuthConfig('providers:\n  a: { type: apiKey }\n  a: { type: jwt }\n', 'yaml'),
    );
    expect(error.message).toMatch(/not valid YAML/);
  });

  it('reads JSON and reports syntax errors', () => {
    expect(parseAuthConfig('{"providers":{"k":{"type":"apiKey"}}}', 'json').providers.k?.type).toBe(
      'apiKey',
    );
    expect(configError(() => parseAuthConfig('{"providers":', 'json')).message).toMatch(/not JSON/);
  });

  it('reports schema errors of YAML documents with their path', () => {
    const error = configError(() =>
      parseAuthConfig('providers:\n  k:\n    type: apiKey\n    stoer: redis\n', 'yaml'),
    );
    expect(error.issues).toEqual([
      { pointer: '/providers/k/stoer', message: 'unknown key "stoer"' },
    ]);
  });
});

describe('loadAuthConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etdi-auth-'));

  it('loads .json, .yaml and .yml files and names the file in errors', async () => {
    writeFileSync(join(dir, 'a.json'), '{"providers":{"k":{"type":"apiKey"}}}');
    writeFileSync(join(dir, 'b.yml'), 'providers:\n  k:\n    type: apiKey\n');
    writeFileSync(join(dir, 'bad.yaml'), 'providers:\n  k:\n    type: apiKey\n    extra: 1\n');
    expect((await loadAuthConfig(join(dir, 'a.json'))).providers.k?.type).toBe('apiKey');
    expect((await loadAuthConfig(join(dir, 'b.yml'))).providers.k?.type).toBe('apiKey');
    const error = await asyncConfigError(() => loadAuthConfig(join(dir, 'bad.yaml')));
    expect(error.message).toContain('bad.yaml');
    expect(error.issues).toEqual([
      { pointer: '/providers/k/extra', message: 'unknown key "extra"' },
    ]);
    expect((await asyncConfigError(() => loadAuthConfig(join(dir, 'a.toml')))).message).toMatch(
      /\.json, \.yaml/,
    );
    expect(
      (await asyncConfigError(() => loadAuthConfig(join(dir, 'missing.json')))).message,
    ).toMatch(/cannot read/);
  });
});

describe('buildAuthenticator', () => {
  it('builds every provider type from one document and authenticates through the chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etdi-auth-'));
    const ca = createTestCa();
    const client = issueCertificate(ca, { commonName: 'machine-1', usage: 'client' });
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    writeFileSync(join(dir, 'jwt.pem'), await exportSPKI(publicKey));
    const apiKey = generateApiKey();
    const document = {
      chain: { mode: 'anyOf', providers: ['mtls', 'jwt', 'keys', 'basic', 'proxy'] },
      providers: {
        mtls: {
          type: 'mtls',
          caFile: 'ca.pem',
          trustedProxies: ['10.0.0.0/8'],
        },
        jwt: {
          type: 'jwt',
          publicKeyFile: 'jwt.pem',
          algorithms: ['RS256'],
          issuer: 'https://idp.example',
          audience: 'etdi-gateway',
          revocations: 'memory',
        },
        keys: {
          type: 'apiKey',
          keys: [
            {
              keyId: parseApiKey(apiKey)!.keyId,
              hash: hashApiKey(apiKey),
              userId: 'ci',
              scopes: ['deploy'],
              expiresAt: '2099-01-01T00:00:00Z',
            },
          ],
        },
        basic: {
          type: 'basic',
          users: [{ username: 'ops', passwordHash: await hashPassword('pw', { ln: 10 }) }],
        },
        proxy: { type: 'proxy', trustProxyAuth: true, trustedProxies: ['10.0.0.0/8'] },
        oauth: {
          type: 'oauth2',
          introspectionEndpoint: 'https://as.example/introspect',
          clientId: 'gw',
          clientSecret: 'x',
        },
      },
      extraction: { clientCertificateHeader: { name: 'x-client-cert', format: 'pem' } },
    };
    const auth = await buildAuthenticator(document, { baseDir: dir });
    expect(auth.registry.names()).toEqual(['mtls', 'jwt', 'keys', 'basic', 'proxy', 'oauth']);
    const request = (headers: Record<string, string>, remoteAddress = '10.1.1.1') =>
      auth.authenticateRequest({ headers, socket: { remoteAddress }, url: '/mcp', method: 'POST' });

    const token = await new SignJWT({
      sub: 'alice',
      iss: 'https://idp.example',
      aud: 'etdi-gateway',
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(privateKey);
    const results: AuthResult[] = [
      await request({ 'x-client-cert': encodeURIComponent(client.cert) }),
      await request({ authorization: `Bearer ${token}` }),
      await request({ 'x-api-key': apiKey }),
      await request({ authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` }),
      await request({ 'x-authenticated-user': 'dave' }),
    ];
    expect(results.map((r) => [r.source.provider, r.userId])).toEqual([
      ['mtls', 'machine-1'],
      ['jwt', 'alice'],
      ['keys', 'ci'],
      ['basic', 'ops'],
      ['proxy', 'dave'],
    ]);
    expect(await request({})).toMatchObject({ status: 'failure', error: 'no-credentials' });
    await auth.close();
  });

  it('locates provider errors found while building at their path', async () => {
    const hs = await asyncConfigError(() =>
      buildAuthenticator({
        providers: {
          jwt: {
            type: 'jwt',
            jwksUrl: 'https://idp/jwks',
            algorithms: ['RS256', 'HS256'],
            issuer: 'https://idp',
            audience: 'gw',
          },
        },
      }),
    );
    expect(hs).toMatchObject({ code: 'invalid-config', pointer: '/providers/jwt/algorithms' });
    const plainHttp = await asyncConfigError(() =>
      buildAuthenticator({
        providers: {
          jwt: {
            type: 'jwt',
            jwksUrl: 'http://idp.example/jwks',
            algorithms: ['RS256'],
            issuer: 'https://idp',
            audience: 'gw',
          },
        },
      }),
    );
    expect(plainHttp).toMatchObject({ code: 'invalid-config', pointer: '/providers/jwt/jwksUrl' });
    const userinfoAudience = await asyncConfigError(() =>
      buildAuthenticator({
        providers: {
          oauth: {
            type: 'oauth2',
            userinfoEndpoint: 'https://as.example/userinfo',
            clientId: 'gw',
            clientSecret: 's',
            audience: 'gw',
          },
        },
      }),
    );
    expect(userinfoAudience.pointer).toBe('/providers/oauth/audience');
    const proxy = await asyncConfigError(() =>
      buildAuthenticator({ providers: { edge: { type: 'proxy', trustProxyAuth: true } } }),
    );
    expect(proxy.pointer).toBe('/providers/edge/trustedProxies');
    const cidr = await asyncConfigError(() =>
      buildAuthenticator({
        providers: {
          keys: { type: 'apiKey', defaultPolicy: { allowedIps: ['10.0.0.0/8', 'ten'] } },
        },
      }),
    );
    expect(cidr.pointer).toBe('/providers/keys/defaultPolicy/allowedIps/1');
    const file = await asyncConfigError(() =>
      buildAuthenticator(
        { providers: { m: { type: 'mtls', caFile: 'nope.pem' } } },
        { baseDir: tmpdir() },
      ),
    );
    expect(file.pointer).toBe('/providers/m/caFile');
    const date = await asyncConfigError(() =>
      buildAuthenticator({
        providers: {
          keys: {
            type: 'apiKey',
            keys: [
              {
                keyId: 'etdi_abcd',
                hash: hashApiKey('etdi_abcd.x'),
                userId: 'u',
                expiresAt: 'soon',
              },
            ],
          },
        },
      }),
    );
    expect(date.pointer).toBe('/providers/keys/keys/0/expiresAt');
  });

  it('reports an unreachable Redis at start-up', async () => {
    const error = await asyncConfigError(() =>
      buildAuthenticator({
        redis: { url: 'redis://:pass@127.0.0.1:1' },
        providers: { keys: { type: 'apiKey', store: 'redis' } },
      }),
    );
    expect(error).toMatchObject({ code: 'store-error', pointer: '/redis/url' });
    expect(error.message).not.toContain('pass@');
  });

  it('builds custom provider types with their own schema', async () => {
    class HeaderSecret extends BaseAuthProvider {
      readonly version = '1.0.0';
      protected readonly method: AuthMethod = 'custom';
      readonly #secret: string;
      constructor(name: string, secret: string) {
        super(name, { name });
        this.#secret = secret;
      }
      supportedMethods(): readonly AuthMethod[] {
        return ['custom'];
      }
      protected async authenticateCredentials(c: AuthCredentials): Promise<AuthResult> {
        const value = c.header('x-shared-secret');
        if (value === undefined) return this.noCredentials('no shared secret');
        return value === this.#secret
          ? this.success({ userId: 'partner' })
          : this.failure('invalid-credentials', 'invalid-api-key', 'wrong shared secret');
      }
    }
    const providerTypes: Record<string, CustomProviderType> = {
      sharedSecret: {
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'secret'],
          properties: { type: { const: 'sharedSecret' }, secret: { type: 'string' } },
        },
        create: (config, ctx) => new HeaderSecret(ctx.name, String(config.secret)),
      },
    };
    const auth = await buildAuthenticator(
      { providers: { partner: { type: 'sharedSecret', secret: 'open-sesame' } } },
      { providerTypes },
    );
    expect(
      (await auth.authenticateRequest({ headers: { 'x-shared-secret': 'open-sesame' } })).userId,
    ).toBe('partner');
    const error = await asyncConfigError(() =>
      buildAuthenticator({ providers: { partner: { type: 'sharedSecret' } } }, { providerTypes }),
    );
    expect(error.issues).toEqual([
      { pointer: '/providers/partner/secret', message: 'missing required key "secret"' },
    ]);
  });

  it('logs the proxy security warning at start-up when client auth is disabled', async () => {
    const logger = recordingLogger();
    const auth = await buildAuthenticator(
      { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
      { logger },
    );
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(await auth.authenticateRequest({ headers: {} })).toMatchObject({
      anonymous: true,
      status: 'success',
    });
  });

  it('takes a static JWKS inline', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const auth = await buildAuthenticator({
      providers: {
        jwt: {
          type: 'jwt',
          algorithms: ['ES256'],
          issuer: 'https://idp.example',
          audience: 'etdi-gateway',
          jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] },
        },
      },
    });
    const token = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://idp.example')
      .setAudience('etdi-gateway')
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(
      (await auth.authenticateRequest({ headers: { authorization: `Bearer ${token}` } })).userId,
    ).toBe('x');
  });
});
