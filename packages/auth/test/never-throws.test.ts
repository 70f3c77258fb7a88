import { generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  AUTH_FAILURE_CODES,
  AUTH_STATUSES,
  ApiKeyProvider,
  AuthResult,
  BasicAuthProvider,
  IntrospectionProvider,
  JwtProvider,
  MemoryApiKeyStore,
  MtlsProvider,
  TrustedProxyProvider,
  createAuthenticator,
  hashPassword,
  createProviderChain,
  type AuthCredentials,
  type AuthRequest,
} from '@etdi/auth';
import { createTestCa } from '../../../testing/certs.js';

// A small deterministic generator (mulberry32), so a failure reproduces.
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('authenticate never throws', () => {
  it('answers every malformed request with a status and a code', async () => {
    const rand = random(20260105);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
    const text = (max: number) =>
      Array.from({ length: Math.floor(rand() * max) }, () =>
        String.fromCharCode(Math.floor(rand() * 0x2fff)),
      ).join('');
    const b64 = (v: unknown) =>
      Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const { publicKey } = await generateKeyPair('RS256');
    const keys = new ApiKeyProvider({
      store: new MemoryApiKeyStore(),
      acceptBearer: true,
      defaultPolicy: {
        allowedIps: ['10.0.0.0/8'],
        allowedHours: { timeZone: 'UTC', start: '00:00', end: '24:00' },
      },
    });
    await keys.issueKey({ userId: 'a' });
    const auth = createAuthenticator({
      providers: [
        new TrustedProxyProvider({ trustProxyAuth: true, trustedProxies: ['10.0.0.0/8'] }),
        new MtlsProvider({
          caCertificates: createTestCa().cert,
          trustedProxies: ['10.0.0.0/8'],
        }),
        keys,
        new JwtProvider({
          publicKey,
          algorithms: ['RS256'],
          issuer: 'https://idp.example',
          audience: 'etdi-gateway',
          endpointsClaim: 'e',
        }),
        new BasicAuthProvider({
          users: [{ username: 'u', passwordHash: await hashPassword('p', { ln: 10 }) }],
        }),
        // Nothing listens on port 1: every introspection fails, which must still be an answer.
        new IntrospectionProvider({
          introspectionEndpoint: 'http://127.0.0.1:1/introspect',
          clientId: 'c',
          clientSecret: 's',
          timeoutMs: 500,
          allowLoopbackHttp: true,
        }),
      ],
      extract: {
        clientCertificateHeader: { name: 'x-client-cert', format: pick(['pem', 'xfcc'] as const) },
      },
    });
    const headerValues = (): string | string[] =>
      pick([
        () => `Bearer ${text(40)}`,
        () =>
          `Bearer ${b64(pick([{ alg: 'RS256', kid: {} }, { alg: ['RS256'] }, { alg: 'none' }, { crit: ['x'], alg: 'RS256' }, 'notjson']))}.${b64(pick([{ sub: 1 }, [1], 'x', { e: 'str' }, { e: [1] }]))}.${b64(text(10))}`,
        () => `Basic ${Buffer.from(text(30)).toString('base64')}`,
        () => `Basic ${text(20)}`,
        () => text(100),
        () => 'x'.repeat(Math.floor(rand() * 20_000)),
        () => [text(10), text(10)],
        () => `${text(5)}.${text(50)}`,
        () =>
          encodeURIComponent(
            `-----BEGIN CERTIFICATE-----\n${text(200)}\n-----END CERTIFICATE-----`,
          ),
        () => `Cert="${text(30)}";By=${text(5)}`,
      ])();
    const names = ['authorization', 'x-api-key', 'x-authenticated-user', 'x-client-cert'];
    for (let i = 0; i < 400; i++) {
      const headers: Record<string, string | string[]> = {};
      for (const name of names) if (rand() < 0.5) headers[name] = headerValues();
      const request: AuthRequest = {
        headers,
        socket: { remoteAddress: pick(['10.0.0.1', '192.0.2.1', '::1', 'garbage', '']) },
        url: pick(['/mcp', '', '//', '/%zz', `/${text(20)}`, 'http://x', '?']),
        method: pick(['GET', 'post', '', text(3)]),
      };
      const result = await auth.authenticateRequest(request);
      expect(result).toBeInstanceOf(AuthResult);
      expect(AUTH_STATUSES).toContain(result.status);
      expect(result.message.length).toBeGreaterThan(0);
      if (!result.ok) expect(AUTH_FAILURE_CODES).toContain(result.error);
      // Only a credential that is right may pass: random input never is, except the proxy header.
      if (result.ok) expect(result.source.provider).toBe('proxy');
    }
  }, 60_000);

  it('answers JavaScript callers that pass anything at all as credentials', async () => {
    const providers = [
      new ApiKeyProvider({ store: new MemoryApiKeyStore() }),
      new JwtProvider({
        secret: 'x'.repeat(32),
        algorithms: ['HS256'],
        issuer: 'https://idp.example',
        audience: 'etdi-gateway',
      }),
      new BasicAuthProvider({ users: [] }),
      new TrustedProxyProvider({ trustProxyAuth: true, trustedProxies: ['10.0.0.0/8'] }),
      new MtlsProvider({ caCertificates: createTestCa().cert }),
    ];
    const chain = createProviderChain({ providers });
    for (const junk of [undefined, null, {}, 42, 'str', { apiKey: 5 }, { accessToken: {} }]) {
      for (const provider of [...providers, chain]) {
        const result = await provider.authenticate(junk as unknown as AuthCredentials);
        expect(result).toBeInstanceOf(AuthResult);
        expect(result.ok).toBe(false);
      }
    }
  });
});
