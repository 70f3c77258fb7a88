import { describe, expect, it } from 'vitest';
import { buildTrustJwks, generateKeyPair, TrustStore } from '@etdi/core';

describe('TrustStore', () => {
  it('loads keys bound to providers, with status and validity window', async () => {
    const a = await generateKeyPair('EdDSA');
    const jwks = await buildTrustJwks([
      {
        jwk: a.publicJwk,
        iss: 'com.acme',
        status: 'retired',
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: new Date('2026-01-01T00:00:00Z'),
      },
    ]);
    const store = await TrustStore.fromJwks(jwks);
    expect(store.size).toBe(1);
    expect(store.get(a.kid)).toMatchObject({
      kid: a.kid,
      iss: 'com.acme',
      alg: 'EdDSA',
      status: 'retired',
      notBefore: Date.parse('2025-01-01T00:00:00Z') / 1000,
      notAfter: Date.parse('2026-01-01T00:00:00Z') / 1000,
    });
    expect(store.toJwks().keys[0]).toMatchObject({ kid: a.kid, iss: 'com.acme' });
  });

  it('keeps a key without iss, bound to no provider', async () => {
    const a = await generateKeyPair('EdDSA');
    const store = await TrustStore.fromJwks({ keys: [a.publicJwk] });
    expect(store.get(a.kid)?.iss).toBeUndefined();
  });

  describe('when a document is bad', () => {
    const bad: [string, () => Promise<unknown>][] = [
      ['not an object', async () => 'keys'],
      ['keys missing', async () => ({})],
      ['an unsupported kty', async () => ({ keys: [{ kty: 'oct', k: 'AAAA' }] })],
      ['a private key', async () => ({ keys: [(await generateKeyPair('EdDSA')).privateJwk] })],
      [
        'a kid that is not the thumbprint',
        async () => ({ keys: [{ ...(await generateKeyPair('EdDSA')).publicJwk, kid: 'nope' }] }),
      ],
      [
        'a bad date',
        async () => ({
          keys: [{ ...(await generateKeyPair('EdDSA')).publicJwk, notAfter: 'tomorrow' }],
        }),
      ],
      [
        'a retired key without notAfter',
        async () => ({
          keys: [{ ...(await generateKeyPair('EdDSA')).publicJwk, status: 'retired' }],
        }),
      ],
      [
        'an unknown status',
        async () => ({
          keys: [{ ...(await generateKeyPair('EdDSA')).publicJwk, status: 'sleeping' }],
        }),
      ],
      [
        'an alg ETDI does not use',
        async () => ({ keys: [{ ...(await generateKeyPair('EdDSA')).publicJwk, alg: 'RS256' }] }),
      ],
    ];
    for (const [what, make] of bad) {
      it(`refuses ${what} as invalid-jwks, naming the source`, async () => {
        const store = new TrustStore();
        const err = await store
          .addJwks(await make(), { source: 'keys/jwks.json' })
          .catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'invalid-jwks' });
        expect(store.size).toBe(0);
      });
    }
  });

  it('refuses to bind one key to two providers', async () => {
    const a = await generateKeyPair('EdDSA');
    const store = await TrustStore.fromJwks(
      await buildTrustJwks([{ jwk: a.publicJwk, iss: 'com.a' }]),
    );
    await expect(
      store.addJwks(await buildTrustJwks([{ jwk: a.publicJwk, iss: 'com.b' }])),
    ).rejects.toMatchObject({
      code: 'invalid-jwks',
    });
    expect(store.get(a.kid)?.iss).toBe('com.a');
  });

  it('takes a document whole or not at all', async () => {
    const a = await generateKeyPair('EdDSA');
    const b = await generateKeyPair('EdDSA');
    const store = await TrustStore.fromJwks(
      await buildTrustJwks([{ jwk: a.publicJwk, iss: 'com.a' }]),
    );
    // b is fine, then a is re-bound to another provider: nothing of the document is taken.
    const doc = await buildTrustJwks([
      { jwk: b.publicJwk, iss: 'com.b' },
      { jwk: a.publicJwk, iss: 'com.evil' },
    ]);
    await expect(store.addJwks(doc)).rejects.toMatchObject({ code: 'invalid-jwks' });
    expect(store.get(b.kid)).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it('only ever narrows what it knows of a key: no un-retiring, no longer window', async () => {
    const a = await generateKeyPair('EdDSA');
    const end = new Date('2026-01-01T00:00:00Z');
    const store = await TrustStore.fromJwks(
      await buildTrustJwks([{ jwk: a.publicJwk, iss: 'com.a', status: 'retired', notAfter: end }]),
    );
    await store.addJwks(
      await buildTrustJwks([
        { jwk: a.publicJwk, iss: 'com.a', notAfter: new Date('2030-01-01T00:00:00Z') },
      ]),
    );
    expect(store.get(a.kid)).toMatchObject({ status: 'retired', notAfter: end.getTime() / 1000 });
    await store.addJwks(
      await buildTrustJwks([
        { jwk: a.publicJwk, iss: 'com.a', notBefore: new Date('2025-06-01T00:00:00Z') },
      ]),
    );
    expect(store.get(a.kid)?.notBefore).toBe(Date.parse('2025-06-01T00:00:00Z') / 1000);
    expect(store.toJwks().keys[0]).toMatchObject({
      status: 'retired',
      notAfter: end.toISOString(),
    });
  });

  it('lets a later document retire a key but never bring a revoked key back', async () => {
    const a = await generateKeyPair('EdDSA');
    const store = await TrustStore.fromJwks(
      await buildTrustJwks([{ jwk: a.publicJwk, iss: 'com.a' }]),
    );
    await store.addJwks(
      await buildTrustJwks([{ jwk: a.publicJwk, iss: 'com.a', status: 'revoked' }]),
    );
    expect(store.get(a.kid)?.status).toBe('revoked');
    await store.addJwks(
      await buildTrustJwks([{ jwk: a.publicJwk, iss: 'com.a', status: 'active' }]),
    );
    expect(store.get(a.kid)?.status).toBe('revoked');
  });
});
