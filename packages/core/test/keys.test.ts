import { generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildTrustJwks,
  ed25519JwkFromSeed,
  EtdiError,
  generateKeyPair,
  importSigningKey,
  importVerificationKey,
  jwkThumbprint,
  privateJwkToPem,
  publicJwkToPem,
  SIGNING_ALGORITHMS,
  toPublicJwk,
  type PrivateJwk,
} from '@etdi/core';

// RFC 8037 appendix A.1–A.3 (the RFC 8032 §7.1 TEST 1 key): private seed, public key, thumbprint.
const RFC8037 = {
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  thumbprint: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
};

async function rejectsWith(p: Promise<unknown>, code: string): Promise<EtdiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EtdiError);
  expect(e).toMatchObject({ code });
  return e as EtdiError;
}

describe('keys', () => {
  describe('jwkThumbprint', () => {
    it('computes the RFC 8037 A.3 thumbprint', async () => {
      expect(await jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: RFC8037.x })).toBe(
        RFC8037.thumbprint,
      );
    });
  });

  describe('generateKeyPair', () => {
    for (const alg of SIGNING_ALGORITHMS) {
      it(`generates a ${alg} pair whose kid is its thumbprint and whose JWKs carry iss`, async () => {
        const pair = await generateKeyPair(alg, { iss: 'com.acme', modulusLength: 2048 });
        expect(pair.alg).toBe(alg);
        expect(pair.kid).toBe(await jwkThumbprint(pair.publicJwk));
        expect(pair.publicJwk).toMatchObject({ kid: pair.kid, alg, use: 'sig', iss: 'com.acme' });
        expect(pair.publicJwk.d).toBeUndefined();
        expect(typeof pair.privateJwk.d).toBe('string');
        const key = await importSigningKey(pair.privateJwk);
        expect(key).toMatchObject({ alg, kid: pair.kid, iss: 'com.acme' });
      });
    }

    it('refuses RSA keys under 2048 bits and unknown algorithms', async () => {
      await rejectsWith(generateKeyPair('PS256', { modulusLength: 1024 }), 'invalid-argument');
      await rejectsWith(generateKeyPair('HS256' as never), 'invalid-argument');
    });
  });

  describe('PEM round trip', () => {
    for (const alg of SIGNING_ALGORITHMS) {
      it(`exports a ${alg} key to PKCS#8/SPKI PEM and imports it back to the same kid`, async () => {
        const pair = await generateKeyPair(alg, { modulusLength: 2048 });
        const privatePem = privateJwkToPem(pair.privateJwk);
        const publicPem = publicJwkToPem(pair.publicJwk);
        expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
        expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
        expect((await importSigningKey(privatePem)).kid).toBe(pair.kid);
        expect((await importVerificationKey(publicPem)).kid).toBe(pair.kid);
      });
    }
  });

  describe('importSigningKey', () => {
    it('refuses a public JWK', async () => {
      const pair = await generateKeyPair('EdDSA');
      await rejectsWith(importSigningKey(pair.publicJwk as PrivateJwk), 'invalid-key');
    });

    it('refuses keys ETDI does not sign with (P-384, secp256k1, RSA-1024, X25519, RSA-PSS-restricted)', async () => {
      const pems = [
        generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey,
        generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
        generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey,
        generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
        generateKeyPairSync('x25519').privateKey,
      ].map((k) => k.export({ type: 'pkcs8', format: 'pem' }).toString());
      for (const pem of pems) await rejectsWith(importSigningKey(pem), 'invalid-key');
    });

    it('refuses a JWK whose kid is not its thumbprint, or whose alg does not fit the key', async () => {
      const pair = await generateKeyPair('EdDSA');
      await rejectsWith(importSigningKey({ ...pair.privateJwk, kid: 'my-key' }), 'invalid-key');
      await rejectsWith(importSigningKey({ ...pair.privateJwk, alg: 'ES256' }), 'invalid-key');
    });

    it('refuses garbage with a message, never a crash', async () => {
      await rejectsWith(importSigningKey('not a pem'), 'invalid-key');
      await rejectsWith(
        importSigningKey({ kty: 'OKP', crv: 'Ed25519', d: '!!', x: '??' }),
        'invalid-key',
      );
      await rejectsWith(importSigningKey(null as never), 'invalid-key');
    });
  });

  describe('importVerificationKey', () => {
    it('refuses a JWK that carries private members', async () => {
      const pair = await generateKeyPair('ES256');
      const e = await rejectsWith(importVerificationKey(pair.privateJwk), 'invalid-key');
      expect(e.message).toContain('"d"');
    });

    it('refuses a private PEM', async () => {
      const pair = await generateKeyPair('EdDSA');
      await rejectsWith(importVerificationKey(privateJwkToPem(pair.privateJwk)), 'invalid-key');
    });
  });

  describe('ed25519JwkFromSeed (@noble/ed25519)', () => {
    it('derives the RFC 8037 key from its raw seed', async () => {
      const jwk = await ed25519JwkFromSeed(Buffer.from(RFC8037.d, 'base64url'), {
        iss: 'com.acme',
      });
      expect(jwk).toMatchObject({
        kty: 'OKP',
        crv: 'Ed25519',
        x: RFC8037.x,
        d: RFC8037.d,
        kid: RFC8037.thumbprint,
        iss: 'com.acme',
      });
    });

    it('makes a key node:crypto signs with and verifies', async () => {
      const seed = Buffer.alloc(32, 7);
      const key = await importSigningKey(await ed25519JwkFromSeed(seed));
      const sig = cryptoSign(null, Buffer.from('m'), key.privateKey);
      const pub = await importVerificationKey(toPublicJwk(key.publicJwk));
      expect(cryptoVerify(null, Buffer.from('m'), pub.key, sig)).toBe(true);
    });

    it('refuses a seed that is not 32 bytes', async () => {
      await rejectsWith(ed25519JwkFromSeed(Buffer.alloc(31)), 'invalid-key');
    });
  });

  describe('buildTrustJwks', () => {
    it('binds each key to its provider and never includes private members', async () => {
      const a = await generateKeyPair('EdDSA');
      const b = await generateKeyPair('ES256');
      const jwks = await buildTrustJwks([
        { jwk: a.privateJwk, iss: 'com.a' },
        {
          jwk: b.publicJwk,
          iss: 'com.b',
          status: 'retired',
          notAfter: new Date('2026-01-01T00:00:00Z'),
        },
      ]);
      expect(jwks.keys).toHaveLength(2);
      expect(jwks.keys[0]).toMatchObject({ kid: a.kid, iss: 'com.a', alg: 'EdDSA' });
      expect(jwks.keys[0]!.d).toBeUndefined();
      expect(jwks.keys[1]).toMatchObject({
        kid: b.kid,
        iss: 'com.b',
        status: 'retired',
        notAfter: '2026-01-01T00:00:00.000Z',
      });
    });

    it('refuses a bad provider id and a retired key without notAfter', async () => {
      const a = await generateKeyPair('EdDSA');
      await expect(buildTrustJwks([{ jwk: a.publicJwk, iss: 'has space' }])).rejects.toMatchObject({
        code: 'invalid-argument',
      });
      await expect(
        buildTrustJwks([{ jwk: a.publicJwk, iss: 'com.a', status: 'retired' }]),
      ).rejects.toMatchObject({
        code: 'invalid-argument',
      });
    });
  });
});
