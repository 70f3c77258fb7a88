import { describe, expect, it } from 'vitest';
import {
  AuthCredentials,
  AuthResult,
  ProviderChain,
  ProviderRegistry,
  TrustedProxyProvider,
  createProviderChain,
  extractCredentials,
  type AuthProvider,
} from '@etdi/auth';
import { StubProvider } from './support/stub-provider.js';

const creds = new AuthCredentials();

describe('ProviderChain', () => {
  describe('anyOf', () => {
    it('returns the first success and asks no further', async () => {
      const a = new StubProvider('a', (s) => s.none());
      const b = new StubProvider('b', (s) => s.ok({ userId: 'bob' }), { method: 'jwt' });
      const c = new StubProvider('c', (s) => s.ok({ userId: 'carol' }));
      const result = await createProviderChain({ providers: [a, b, c] }).authenticate(creds);
      expect(result).toMatchObject({ userId: 'bob', source: { provider: 'b', method: 'jwt' } });
      expect([a.calls, b.calls, c.calls]).toEqual([1, 1, 0]);
    });

    it('answers the first real refusal when nobody accepts', async () => {
      const chain = createProviderChain({
        providers: [
          new StubProvider('a', (s) => s.none()),
          new StubProvider('b', (s) => s.no('expired', 'token-expired')),
          new StubProvider('c', (s) => s.no('invalid-credentials', 'bad-signature')),
        ],
      });
      expect(await chain.authenticate(creds)).toMatchObject({
        status: 'expired',
        error: 'token-expired',
        source: { provider: 'b' },
      });
    });

    it('still accepts a later provider after an earlier refusal', async () => {
      const chain = createProviderChain({
        providers: [
          new StubProvider('mtls', (s) => s.no('expired', 'certificate-expired')),
          new StubProvider('jwt', (s) => s.ok({ userId: 'alice' })),
        ],
      });
      expect((await chain.authenticate(creds)).userId).toBe('alice');
    });

    it('names the expected methods when no provider found credentials', async () => {
      const chain = createProviderChain({
        providers: [
          new StubProvider('a', (s) => s.none(), { method: 'mtls' }),
          new StubProvider('b', (s) => s.none(), { method: 'jwt' }),
        ],
      });
      expect(await chain.authenticate(creds)).toMatchObject({
        status: 'failure',
        error: 'no-credentials',
        message: 'No credentials: expected one of jwt, mtls',
        source: { provider: 'chain' },
      });
    });

    it('never downgrades a refused credential to anonymous', async () => {
      const anonymous = new TrustedProxyProvider({ clientAuthEnabled: false });
      const jwt = new StubProvider('jwt', (_s, c) =>
        c.accessToken ? _s.no('invalid-credentials', 'bad-signature') : _s.none(),
      );
      const chain = createProviderChain({ providers: [anonymous, jwt] });
      expect((await chain.authenticate(new AuthCredentials({ accessToken: 'forged' }))).error).toBe(
        'bad-signature',
      );
      const none = await chain.authenticate(creds);
      expect(none).toMatchObject({ status: 'success', anonymous: true });
    });

    it('prefers a named success over an anonymous one, whatever the order', async () => {
      const chain = createProviderChain({
        providers: [
          new TrustedProxyProvider({ clientAuthEnabled: false }),
          new StubProvider('jwt', (s) => s.ok({ userId: 'alice' })),
        ],
      });
      expect(await chain.authenticate(creds)).toMatchObject({ userId: 'alice', anonymous: false });
    });

    it('turns a provider that throws into an error result', async () => {
      const broken: AuthProvider = {
        name: 'broken',
        version: '0',
        supportedMethods: () => ['custom'],
        authenticate: () => {
          throw new Error('bug');
        },
        validateSession: () => Promise.reject(new Error('bug')),
        refreshAuthentication: () => Promise.reject(new Error('bug')),
      };
      const chain = createProviderChain({ providers: [broken] });
      expect(await chain.authenticate(creds)).toMatchObject({
        status: 'error',
        error: 'internal-error',
        source: { provider: 'broken' },
      });
      expect(await chain.validateSession('x')).toBe(false);
    });

    it('turns a BaseAuthProvider that throws into an error result too', async () => {
      const p = new StubProvider('p', () => {
        throw new TypeError('oops');
      });
      expect(await p.authenticate(creds)).toMatchObject({
        status: 'error',
        error: 'internal-error',
      });
    });

    it('rejects unreadable credentials before any provider runs', async () => {
      const a = new StubProvider('a', (s) => s.ok({ userId: 'x' }));
      const chain = createProviderChain({ providers: [a] });
      const result = await chain.authenticate(
        extractCredentials({ headers: { authorization: ['Bearer a', 'Bearer b'] } }),
      );
      expect(result).toMatchObject({
        status: 'invalid-credentials',
        error: 'ambiguous-credentials',
        source: { provider: 'chain', method: 'bearer-token' },
      });
      expect(a.calls).toBe(0);
    });
  });

  describe('allOf', () => {
    it('requires every provider and merges what they grant', async () => {
      const chain = createProviderChain({
        mode: 'allOf',
        providers: [
          new StubProvider(
            'mtls',
            (s) => s.ok({ userId: 'alice', permissions: ['a'], expiresAt: 5_000 }),
            {
              method: 'mtls',
            },
          ),
          new StubProvider(
            'jwt',
            (s) =>
              s.ok({
                userId: 'alice',
                permissions: ['a', 'b'],
                roles: ['r'],
                projectId: 'p',
                expiresAt: 3_000,
              }),
            {
              method: 'jwt',
            },
          ),
        ],
      });
      const result = await chain.authenticate(creds);
      expect(result).toMatchObject({
        status: 'success',
        userId: 'alice',
        projectId: 'p',
        permissions: ['a', 'b'],
        roles: ['r'],
        expiresAt: 3_000,
        sources: [
          { provider: 'mtls', method: 'mtls' },
          { provider: 'jwt', method: 'jwt' },
        ],
      });
    });

    it('answers the first refusal', async () => {
      const chain = createProviderChain({
        mode: 'allOf',
        providers: [
          new StubProvider('mtls', (s) => s.ok({ userId: 'alice' })),
          new StubProvider('jwt', (s) => s.none()),
        ],
      });
      expect(await chain.authenticate(creds)).toMatchObject({
        error: 'no-credentials',
        source: { provider: 'jwt' },
      });
    });

    it('refuses credentials that name different users', async () => {
      const chain = createProviderChain({
        mode: 'allOf',
        providers: [
          new StubProvider('mtls', (s) => s.ok({ userId: 'alice' })),
          new StubProvider('jwt', (s) => s.ok({ userId: 'mallory' })),
        ],
      });
      expect(await chain.authenticate(creds)).toMatchObject({
        status: 'invalid-credentials',
        error: 'identity-mismatch',
      });
    });
  });

  it('nests: a chain is a provider', async () => {
    const inner = createProviderChain({
      name: 'inner',
      mode: 'allOf',
      providers: [
        new StubProvider('x', (s) => s.ok({ userId: 'u' })),
        new StubProvider('y', (s) => s.ok({ userId: 'u' })),
      ],
    });
    const outer = new ProviderChain({ providers: [new StubProvider('z', (s) => s.none()), inner] });
    expect((await outer.authenticate(creds)).userId).toBe('u');
    expect(outer.supportedMethods()).toEqual(['custom']);
  });

  it('validates sessions and refreshes through its providers', async () => {
    const p = new StubProvider('p', (s) => s.ok({ userId: 'u' }));
    const chain = createProviderChain({ providers: [p] });
    expect(await chain.validateSession('none')).toBe(false);
    const refreshed = await chain.refreshAuthentication('s', creds);
    expect(refreshed).toBeInstanceOf(AuthResult);
    expect(refreshed.userId).toBe('u');
  });
});

describe('ProviderRegistry', () => {
  it('keeps providers by unique name', () => {
    const registry = new ProviderRegistry()
      .register(new StubProvider('a', (s) => s.none()))
      .register(new StubProvider('b', (s) => s.none()));
    expect(registry.names()).toEqual(['a', 'b']);
    expect(registry.get('a')?.name).toBe('a');
    expect(registry.get('zz')).toBeUndefined();
    expect(() => registry.register(new StubProvider('a', (s) => s.none()))).toThrow(
      expect.objectContaining({ code: 'duplicate-provider' }),
    );
    expect(() => registry.require('zz')).toThrow(
      expect.objectContaining({
        code: 'unknown-provider',
        message: 'Unknown provider "zz" (registered: a, b)',
      }),
    );
    expect(registry.pick(['b', 'a']).map((p) => p.name)).toEqual(['b', 'a']);
    expect(registry.unregister('a')).toBe(true);
    expect(registry.list().map((p) => p.name)).toEqual(['b']);
  });
});
