import { sign as cryptoSign } from 'node:crypto';
import { CompactSign } from 'jose';
import {
  buildTrustJwks,
  generateKeyPair,
  importSigningKey,
  TrustStore,
  type GeneratedKeyPair,
  type SigningAlgorithm,
  type SigningKey,
  type TrustJwkInput,
} from '@etdi/core';

export interface Provider {
  readonly iss: string;
  readonly pair: GeneratedKeyPair;
  readonly key: SigningKey;
}

const cache = new Map<string, Promise<Provider>>();

/** A provider with a key pair, made once per test file (RSA key generation is slow). */
export function provider(
  iss: string,
  alg: SigningAlgorithm = 'EdDSA',
  slot = 0,
): Promise<Provider> {
  const id = `${iss}|${alg}|${slot}`;
  let p = cache.get(id);
  if (!p) {
    p = (async () => {
      const pair = await generateKeyPair(alg, { iss, modulusLength: 2048 });
      return { iss, pair, key: await importSigningKey(pair.privateJwk) };
    })();
    cache.set(id, p);
  }
  return p;
}

/** A trust store holding the given providers' keys, each bound to its provider. */
export async function trustFor(
  providers: readonly Provider[],
  extra: Partial<Omit<TrustJwkInput, 'jwk' | 'iss'>> = {},
): Promise<TrustStore> {
  return TrustStore.fromJwks(
    await buildTrustJwks(providers.map((p) => ({ jwk: p.pair.publicJwk, iss: p.iss, ...extra }))),
  );
}

/**
 * A compact JWS with an arbitrary header and payload, signed by an Ed25519 `key`: for crafted
 * attacks. Signed with node:crypto directly, because jose (rightly) refuses to produce some of
 * the headers the tests need, such as an unknown `crit`.
 */
export async function craftJws(
  header: Record<string, unknown>,
  payload: unknown,
  key: SigningKey,
): Promise<string> {
  if (key.alg !== 'EdDSA') {
    return new CompactSign(
      Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    )
      .setProtectedHeader(header as { alg: string })
      .sign(key.privateKey);
  }
  const input = `${b64json(header)}.${Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** base64url of a JSON value. */
export const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
