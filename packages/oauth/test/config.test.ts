import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAjv, schemaIssues } from '@etdi/core';
import Type from 'typebox';
import {
  OAUTH_CONFIG_DEFAULTS,
  OAuthConfigSchema,
  OAuthError,
  assertOAuthConfig,
  createOAuthService,
  maskOAuthConfig,
  type OAuthConfig,
} from '@etdi/oauth';
import { createTestCa, issueCertificate } from '../../../testing/certs.js';
import { TestOAuthServer, writePemFiles } from './support/oauth-server.js';
import { errorOf } from './support/harness.js';

const valid: OAuthConfig = {
  tokenUrl: 'https://auth.example.com/oauth/token',
  clientId: 'etdi-gateway',
  clientSecret: 'super-secret-value-1234',
  scope: 'tools:read',
};

function configError(value: unknown): OAuthError {
  try {
    assertOAuthConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }
  throw new Error('expected assertOAuthConfig to throw');
}

describe('assertOAuthConfig', () => {
  it('accepts a minimal client-credentials configuration', () => {
    expect(() => assertOAuthConfig(valid)).not.toThrow();
  });

  describe('when the shape is wrong', () => {
    it('names an unknown key', () => {
      const error = configError({ ...valid, tokenURL: 'https://x' });
      expect(error).toMatchObject({ code: 'invalid-config', pointer: '/tokenURL' });
      expect(error.message).toContain('unknown key "tokenURL"');
    });

    it('names an unknown key inside mtls', () => {
      const error = configError({ ...valid, mtls: { certPath: 'a', keyPath: 'b', ca: 'c' } });
      expect(error).toMatchObject({ code: 'invalid-config', pointer: '/mtls/ca' });
      expect(error.message).toContain('/mtls/ca: unknown key "ca"');
    });

    it('names a field of the wrong type', () => {
      const error = configError({ ...valid, enabled: 'yes' });
      expect(error).toMatchObject({ code: 'invalid-config', pointer: '/enabled' });
      expect(error.message).toBe('OAuth config: /enabled: must be boolean');
    });

    it('lists every problem, the unknown key first', () => {
      const error = configError({ ...valid, enabled: 'yes', tokenURL: 'https://x' });
      expect(error).toMatchObject({ code: 'invalid-config', pointer: '/tokenURL' });
      expect(error.message).toBe(
        'OAuth config: /tokenURL: unknown key "tokenURL"; /enabled: must be boolean',
      );
    });

    it('names an invalid header or parameter name by its pointer', () => {
      expect(configError({ ...valid, customHeaders: { 'bad header': 'x' } })).toMatchObject({
        code: 'invalid-config',
        pointer: '/customHeaders/bad header',
        message: expect.stringContaining('has an invalid name'),
      });
      expect(configError({ ...valid, additionalParams: { '': 'x' } })).toMatchObject({
        code: 'invalid-config',
        pointer: '/additionalParams/',
      });
    });

    describe('tokenExpiryBuffer', () => {
      it.each([300, '300', '5 minutes', 'PT5M'])('refuses %j: a duration needs a unit', (value) => {
        const error = configError({ ...valid, tokenExpiryBuffer: value });
        expect(error).toMatchObject({ code: 'invalid-config', pointer: '/tokenExpiryBuffer' });
        expect(error.message).toBe(
          'OAuth config: /tokenExpiryBuffer: must be a duration with a unit, such as "5m" or "300s"',
        );
      });

      it.each(['300s', '5m', '1.5m', '1h', '1d'])('accepts %j', (value) => {
        expect(() => assertOAuthConfig({ ...valid, tokenExpiryBuffer: value })).not.toThrow();
      });

      it('refuses more than a day', () => {
        expect(configError({ ...valid, tokenExpiryBuffer: '25h' })).toMatchObject({
          code: 'invalid-config',
          pointer: '/tokenExpiryBuffer',
          message: expect.stringContaining('at most "1d"'),
        });
      });
    });

    it('lists the allowed values of an enum', () => {
      const error = configError({ ...valid, version: '3.0' });
      expect(error).toMatchObject({ code: 'invalid-config', pointer: '/version' });
      expect(error.message).toContain('"2.0", "2.1"');
    });

    it('refuses something that is not an object', () => {
      expect(configError('nope')).toMatchObject({ code: 'invalid-config', pointer: '' });
      expect(configError(null)).toMatchObject({ code: 'invalid-config' });
    });

    it('refuses a bad resource', () => {
      expect(configError({ ...valid, resource: 42 })).toMatchObject({
        code: 'invalid-config',
        pointer: '/resource',
      });
      expect(configError({ ...valid, resource: 'not a uri' })).toMatchObject({
        code: 'invalid-config',
        pointer: '/resource',
      });
      expect(
        configError({ ...valid, resource: ['https://a.example/', 'https://b#x'] }),
      ).toMatchObject({ code: 'invalid-config', pointer: '/resource/1' });
    });

    it('refuses an invalid environment variable name', () => {
      expect(configError({ ...valid, tokenEnvVar: '1TOKEN' })).toMatchObject({
        code: 'invalid-config',
        pointer: '/tokenEnvVar',
      });
    });

    it('refuses a scope token outside RFC 6749 §3.3', () => {
      expect(configError({ ...valid, scope: 'a "b"' })).toMatchObject({
        code: 'invalid-config',
        pointer: '/scope',
      });
    });

    it('does not echo the value of a bad custom header', () => {
      const error = configError({
        ...valid,
        customHeaders: { 'x-api-key': 'sk-live-123\r\nx: y' },
      });
      expect(error).toMatchObject({ code: 'invalid-config', pointer: '/customHeaders/x-api-key' });
      expect(error.message).not.toContain('sk-live');
    });
  });

  describe('when a rule is broken', () => {
    it('requires tokenUrl and clientId', () => {
      expect(configError({ clientSecret: 'x' })).toMatchObject({ pointer: '/tokenUrl' });
      expect(configError({ tokenUrl: valid.tokenUrl, clientSecret: 'x' })).toMatchObject({
        pointer: '/clientId',
      });
    });

    it('requires a secret or mTLS for client credentials', () => {
      const { clientSecret: _, ...rest } = valid;
      expect(configError(rest)).toMatchObject({ code: 'invalid-config', pointer: '/clientSecret' });
    });

    it('requires a refresh token for the refresh_token grant', () => {
      expect(configError({ ...valid, grantType: 'refresh_token' })).toMatchObject({
        pointer: '/refreshToken',
      });
    });

    it('requires authorizationUrl and redirectUri for the authorization-code grant', () => {
      const base = { ...valid, grantType: 'authorization_code' };
      expect(configError(base)).toMatchObject({ pointer: '/authorizationUrl' });
      expect(
        configError({ ...base, authorizationUrl: 'https://auth.example.com/authorize' }),
      ).toMatchObject({ pointer: '/redirectUri' });
    });

    it('requires PKCE with S256 under OAuth 2.1', () => {
      const base = {
        ...valid,
        grantType: 'authorization_code',
        authorizationUrl: 'https://auth.example.com/authorize',
        redirectUri: 'https://gateway.example/callback',
      };
      expect(() => assertOAuthConfig(base)).not.toThrow();
      expect(configError({ ...base, usePkce: false })).toMatchObject({
        code: 'invalid-config',
        pointer: '/usePkce',
      });
      expect(configError({ ...base, codeChallengeMethod: 'plain' })).toMatchObject({
        code: 'invalid-config',
        pointer: '/codeChallengeMethod',
      });
      expect(() =>
        assertOAuthConfig({ ...base, version: '2.0', codeChallengeMethod: 'plain' }),
      ).not.toThrow();
    });

    it('keeps OAuth 2.1 on HTTPS and tokens out of URLs', () => {
      expect(configError({ ...valid, enforceHttps: false })).toMatchObject({
        pointer: '/enforceHttps',
      });
      expect(configError({ ...valid, tokenInHeaderOnly: false })).toMatchObject({
        pointer: '/tokenInHeaderOnly',
      });
    });

    it('refuses protocol parameters in additionalParams', () => {
      expect(configError({ ...valid, additionalParams: { client_secret: 'x' } })).toMatchObject({
        code: 'invalid-config',
        pointer: '/additionalParams/client_secret',
      });
    });

    it('refuses an Authorization custom header in any letter case', () => {
      expect(configError({ ...valid, customHeaders: { AuthoriZation: 'Bearer x' } })).toMatchObject(
        { code: 'invalid-config', pointer: '/customHeaders/AuthoriZation' },
      );
    });

    it('refuses credentials and fragments in endpoint URLs', () => {
      expect(configError({ ...valid, tokenUrl: 'https://u:p@auth.example.com/t' })).toMatchObject({
        pointer: '/tokenUrl',
      });
      expect(configError({ ...valid, tokenUrl: 'https://auth.example.com/t#x' })).toMatchObject({
        pointer: '/tokenUrl',
      });
      expect(configError({ ...valid, tokenUrl: 'ftp://auth.example.com/t' })).toMatchObject({
        pointer: '/tokenUrl',
      });
    });

    it('skips the grant rules of a disabled configuration', () => {
      expect(() => assertOAuthConfig({ enabled: false })).not.toThrow();
    });
  });

  describe('enforceHttps', () => {
    it('refuses http:// token URLs by default', () => {
      const error = configError({ ...valid, tokenUrl: 'http://auth.example.com/token' });
      expect(error).toMatchObject({ code: 'insecure-url', pointer: '/tokenUrl' });
    });

    it('refuses http:// loopback unless allowLoopbackHttp is set', () => {
      expect(configError({ ...valid, tokenUrl: 'http://127.0.0.1:8080/token' })).toMatchObject({
        code: 'insecure-url',
      });
      expect(() =>
        assertOAuthConfig({
          ...valid,
          tokenUrl: 'http://127.0.0.1:8080/token',
          allowLoopbackHttp: true,
        }),
      ).not.toThrow();
      expect(() =>
        assertOAuthConfig({
          ...valid,
          tokenUrl: 'http://[::1]:8080/token',
          allowLoopbackHttp: true,
        }),
      ).not.toThrow();
    });

    it('does not let allowLoopbackHttp open other hosts', () => {
      expect(
        configError({
          ...valid,
          tokenUrl: 'http://auth.example.com/token',
          allowLoopbackHttp: true,
        }),
      ).toMatchObject({ code: 'insecure-url' });
    });

    it('checks the revocation and authorization endpoints too', () => {
      expect(
        configError({ ...valid, revocationUrl: 'http://auth.example.com/revoke' }),
      ).toMatchObject({ code: 'insecure-url', pointer: '/revocationUrl' });
      expect(
        configError({ ...valid, authorizationUrl: 'http://auth.example.com/authorize' }),
      ).toMatchObject({ code: 'insecure-url', pointer: '/authorizationUrl' });
    });

    it('warns once when a service prepares a configuration with enforceHttps off', () => {
      const lines: string[] = [];
      const log = (_fields: object, message: string) => lines.push(message);
      const oauth = createOAuthService({
        logger: { debug: log, info: log, warn: log, error: log },
      });
      const config: OAuthConfig = {
        ...valid,
        version: '2.0',
        enforceHttps: false,
        tokenUrl: 'http://auth.internal/token',
      };
      oauth.prepare(config);
      oauth.prepare(config);
      expect(lines.filter((l) => l.startsWith('enforceHttps is off'))).toHaveLength(1);
    });

    it('allows http:// with OAuth 2.0 and enforceHttps off', () => {
      expect(() =>
        assertOAuthConfig({
          ...valid,
          version: '2.0',
          enforceHttps: false,
          tokenUrl: 'http://auth.internal/token',
        }),
      ).not.toThrow();
    });
  });

  describe('messages', () => {
    it('never contain the client secret', () => {
      const bad = [
        { ...valid, tokenUrl: 'http://auth.example.com/token' },
        { ...valid, extra: true },
        { ...valid, clientSecret: 42 },
        { ...valid, additionalParams: { client_secret: valid.clientSecret } },
      ];
      for (const config of bad) {
        const error = configError(config);
        expect(error.message).not.toContain('super-secret');
        expect(JSON.stringify(error)).not.toContain('super-secret');
      }
    });
  });
});

describe('OAuthConfigSchema', () => {
  it('declares as defaults exactly OAUTH_CONFIG_DEFAULTS (one defaults object)', () => {
    const declared = Object.fromEntries(
      Object.entries(OAuthConfigSchema.properties)
        .map(([name, schema]): [string, unknown] => [
          name,
          (schema as { default?: unknown }).default,
        ])
        .filter(([, value]) => value !== undefined),
    );
    expect(declared).toEqual({ ...OAUTH_CONFIG_DEFAULTS });
  });

  it('embeds in a host schema compiled by the strict ajv factory, as often as needed', () => {
    const host = Type.Object(
      { upstreams: Type.Array(Type.Object({ name: Type.String(), oauth: OAuthConfigSchema })) },
      { additionalProperties: false },
    );
    const validate = createAjv().compile(host);
    expect(
      createAjv().compile(Type.Object({ a: OAuthConfigSchema, b: OAuthConfigSchema })),
    ).toBeTypeOf('function');
    expect(validate({ upstreams: [{ name: 'files', oauth: valid }] })).toBe(true);
    expect(validate({ upstreams: [{ name: 'files', oauth: { ...valid, tokenURL: 'x' } }] })).toBe(
      false,
    );
    expect(schemaIssues(validate.errors)).toContainEqual({
      pointer: '/upstreams/0/oauth/tokenURL',
      message: 'unknown key "tokenURL"',
    });
  });
});

describe('maskOAuthConfig', () => {
  it('masks every secret and keeps the rest', () => {
    const masked = maskOAuthConfig({
      ...valid,
      refreshToken: 'rt-abcdefghijkl',
      mtls: { certPath: '/c', keyPath: '/k', passphrase: 'pass-phrase-9876' },
      customHeaders: { 'x-api-key': 'key-0123456789' },
    });
    expect(masked.clientSecret).toBe('****1234');
    expect(masked.refreshToken).toBe('****ijkl');
    expect(masked.mtls?.passphrase).toBe('****9876');
    expect(masked.customHeaders?.['x-api-key']).toBe('****6789');
    expect(masked.tokenUrl).toBe(valid.tokenUrl);
    expect(JSON.stringify(masked)).not.toContain('super-secret');
  });
});

describe('OAuthService.prepare with mTLS files', () => {
  let dir: string;
  let server: TestOAuthServer;

  beforeAll(async () => {
    server = await TestOAuthServer.start();
    dir = mkdtempSync(join(tmpdir(), 'etdi-oauth-config-'));
  });
  afterAll(() => server.close());

  const mtlsConfig = (mtls: OAuthConfig['mtls']): OAuthConfig => ({
    tokenUrl: 'https://auth.example.com/token',
    clientId: 'etdi-gateway-mtls',
    mtls,
  });

  it('accepts readable, matching files', async () => {
    const oauth = createOAuthService();
    expect(() => oauth.prepare(mtlsConfig({ ...server.clientFiles }))).not.toThrow();
    await oauth.close();
  });

  it('fails at start-up when the certificate file is missing', () => {
    const oauth = createOAuthService();
    const config = mtlsConfig({ ...server.clientFiles, certPath: join(dir, 'missing.pem') });
    expect(() => oauth.prepare(config)).toThrow(
      expect.objectContaining({ code: 'mtls-unavailable', pointer: '/mtls/certPath' }),
    );
  });

  it('fails when the key file is a directory (unreadable)', () => {
    const oauth = createOAuthService();
    const config = mtlsConfig({ ...server.clientFiles, keyPath: dir });
    expect(() => oauth.prepare(config)).toThrow(
      expect.objectContaining({ code: 'mtls-unavailable', pointer: '/mtls/keyPath' }),
    );
  });

  it('fails when the file has no permission for this user', () => {
    const path = join(dir, 'no-access.pem');
    writeFileSync(path, server.clientCertificate.cert);
    chmodSync(path, 0o000);
    const config = mtlsConfig({ ...server.clientFiles, certPath: path });
    if (process.getuid?.() === 0) return; // root reads anything; the directory case covers it
    expect(() => createOAuthService().prepare(config)).toThrow(
      expect.objectContaining({ code: 'mtls-unavailable' }),
    );
  });

  it('fails when the CA bundle is missing', () => {
    const config = mtlsConfig({ ...server.clientFiles, caPath: join(dir, 'no-ca.pem') });
    expect(() => createOAuthService().prepare(config)).toThrow(
      expect.objectContaining({ code: 'mtls-unavailable', pointer: '/mtls/caPath' }),
    );
  });

  it('fails when a block of the CA bundle does not parse, naming which', () => {
    const path = join(dir, 'bad-bundle.pem');
    const truncated = '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n';
    writeFileSync(path, `${server.ca.cert}\n${truncated}`);
    expect(() =>
      createOAuthService().prepare(mtlsConfig({ ...server.clientFiles, caPath: path })),
    ).toThrow(
      expect.objectContaining({
        code: 'mtls-unavailable',
        pointer: '/mtls/caPath',
        message: expect.stringContaining('certificate 2 of 2'),
      }),
    );
  });

  it('reads a certificate file with text around the PEM block (openssl bag attributes)', async () => {
    const path = join(dir, 'with-attributes.pem');
    writeFileSync(
      path,
      `Bag Attributes\n    localKeyID: 01 02 03\nsubject=CN = etdi-gateway-mtls\n${server.clientCertificate.cert}`,
    );
    const oauth = createOAuthService();
    expect(() =>
      oauth.prepare(mtlsConfig({ ...server.clientFiles, certPath: path })),
    ).not.toThrow();
    await oauth.close();
  });

  it('fails when a file holds no PEM', () => {
    const path = join(dir, 'garbage.pem');
    writeFileSync(path, 'not a certificate');
    expect(() =>
      createOAuthService().prepare(mtlsConfig({ ...server.clientFiles, certPath: path })),
    ).toThrow(expect.objectContaining({ code: 'mtls-unavailable', pointer: '/mtls/certPath' }));
    expect(() =>
      createOAuthService().prepare(mtlsConfig({ ...server.clientFiles, keyPath: path })),
    ).toThrow(expect.objectContaining({ code: 'mtls-unavailable', pointer: '/mtls/keyPath' }));
  });

  it('fails when the key does not belong to the certificate', () => {
    const other = issueCertificate(createTestCa('Other CA'), { commonName: 'x', usage: 'client' });
    const files = writePemFiles(server.ca, other);
    const config = mtlsConfig({ ...server.clientFiles, keyPath: files.keyPath });
    expect(() => createOAuthService().prepare(config)).toThrow(
      expect.objectContaining({ code: 'mtls-unavailable', pointer: '/mtls/keyPath' }),
    );
  });

  it('fails when the certificate has expired', () => {
    const expired = issueCertificate(server.ca, {
      commonName: 'etdi-gateway-mtls',
      usage: 'client',
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const files = writePemFiles(server.ca, expired);
    expect(() => createOAuthService().prepare(mtlsConfig({ ...files }))).toThrow(
      expect.objectContaining({ code: 'mtls-unavailable', pointer: '/mtls/certPath' }),
    );
  });

  it('reports the same error from getAccessToken, without a request', async () => {
    const oauth = createOAuthService();
    const config: OAuthConfig = {
      tokenUrl: server.url('mtls', '/token'),
      clientId: 'etdi-gateway-mtls',
      mtls: { ...server.clientFiles, certPath: join(dir, 'missing.pem') },
    };
    const before = server.tokenRequests.length;
    const result = await oauth.getAccessToken('upstream', config);
    expect(errorOf(result)).toMatchObject({ code: 'mtls-unavailable' });
    expect(server.tokenRequests.length).toBe(before);
  });
});
