import { getPublicKeyAsync } from '@noble/ed25519';
import { EtdiError } from '../errors/etdi-error.js';
import { jwkThumbprint } from './thumbprint.js';
import type { PrivateJwk } from './types.js';

/**
 * A private Ed25519 JWK from a raw 32-byte seed, as HSMs and KMSs export it. `@noble/ed25519`
 * derives the public key, so this works where the runtime's crypto cannot import raw seeds.
 *
 * @example
 * const jwk = await ed25519JwkFromSeed(seedBytes, { iss: 'com.acme' });
 * const key = await importSigningKey(jwk);
 */
export async function ed25519JwkFromSeed(
  seed: Uint8Array,
  options: { iss?: string } = {},
): Promise<PrivateJwk> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new EtdiError('invalid-key', 'An Ed25519 seed is exactly 32 bytes');
  }
  const publicKey = await getPublicKeyAsync(seed);
  const base = {
    kty: 'OKP',
    crv: 'Ed25519',
    x: Buffer.from(publicKey).toString('base64url'),
  } as const;
  const kid = await jwkThumbprint(base);
  return {
    ...base,
    d: Buffer.from(seed).toString('base64url'),
    kid,
    alg: 'EdDSA',
    use: 'sig',
    ...(options.iss ? { iss: options.iss } : {}),
  };
}
