import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { EtdiError } from '../errors.js';
import { algorithmOfKey, isSigningAlgorithm, type SigningAlgorithm } from './algorithms.js';
import { jwkThumbprint } from './thumbprint.js';
import type { PrivateJwk, PublicJwk, SigningKey } from './types.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The public members of a JWK, with metadata (`kid`, `alg`, `iss`...) kept and private ones dropped. */
export function toPublicJwk(jwk: PublicJwk): PublicJwk {
  const out: PublicJwk = { ...jwk };
  for (const m of PRIVATE_MEMBERS) delete out[m];
  return out;
}

function keyAlgorithm(key: KeyObject, declared: unknown, what: string): SigningAlgorithm {
  const alg = algorithmOfKey(key);
  if (!alg) {
    const d = key.asymmetricKeyDetails;
    throw new EtdiError(
      'invalid-key',
      `${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key` +
        (d?.namedCurve ? ` on ${d.namedCurve}` : '') +
        (d?.modulusLength ? ` of ${d.modulusLength} bits` : '') +
        '; ETDI signs with Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 bits or more (PS256)',
    );
  }
  if (declared !== undefined && declared !== alg) {
    throw new EtdiError(
      'invalid-key',
      `${what} declares "alg" ${JSON.stringify(declared)} but is a key for ${alg}`,
    );
  }
  return alg;
}

/**
 * Imports a private key to sign with, from a private JWK (as `etdi keygen` writes it) or a PKCS#8
 * PEM. The algorithm follows from the key; `kid` is its RFC 7638 thumbprint; `iss` is the
 * provider the JWK is bound to, if any.
 *
 * @example
 * const key = await importSigningKey(JSON.parse(await readFile('keys/private.jwk', 'utf8')));
 */
export async function importSigningKey(input: PrivateJwk | string): Promise<SigningKey> {
  let privateKey: KeyObject;
  let declaredAlg: unknown;
  let iss: string | undefined;
  try {
    if (typeof input === 'string') {
      privateKey = createPrivateKey({ key: input, format: 'pem' });
    } else {
      if (input === null || typeof input !== 'object' || typeof input.d !== 'string') {
        throw new EtdiError('invalid-key', 'Not a private JWK: the "d" member is missing');
      }
      declaredAlg = input.alg;
      if (input.iss !== undefined && typeof input.iss !== 'string') {
        throw new EtdiError('invalid-key', 'JWK "iss" member must be a string');
      }
      iss = input.iss;
      privateKey = createPrivateKey({ key: input as never, format: 'jwk' });
    }
  } catch (cause) {
    if (cause instanceof EtdiError) throw cause;
    throw new EtdiError('invalid-key', `Cannot read the private key: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (privateKey.type !== 'private') {
    throw new EtdiError('invalid-key', 'Expected a private key');
  }
  const alg = keyAlgorithm(privateKey, declaredAlg, 'The private key');
  const base = createPublicKey(privateKey).export({ format: 'jwk' }) as PublicJwk;
  const kid = await jwkThumbprint(base);
  if (typeof input !== 'string' && input.kid !== undefined && input.kid !== kid) {
    throw new EtdiError(
      'invalid-key',
      `Private JWK "kid" ${JSON.stringify(input.kid)} is not its RFC 7638 thumbprint ${kid}`,
    );
  }
  const publicJwk: PublicJwk = { ...base, kid, alg, use: 'sig', ...(iss ? { iss } : {}) };
  return { alg, kid, iss, privateKey, publicJwk };
}

/** A public key ready to verify with. */
export interface VerificationKey {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly key: KeyObject;
  readonly publicJwk: PublicJwk;
}

/**
 * Imports a public key from a JWK or an SPKI PEM. Refuses private keys (a trust document must
 * never carry one), unsupported key types, and a `kid` that is not the key's thumbprint.
 */
export async function importVerificationKey(input: PublicJwk | string): Promise<VerificationKey> {
  let key: KeyObject;
  let declaredAlg: unknown;
  try {
    if (typeof input === 'string') {
      if (/PRIVATE KEY/.test(input))
        throw new EtdiError('invalid-key', 'Expected a public key, got a private key');
      key = createPublicKey({ key: input, format: 'pem' });
    } else {
      if (input === null || typeof input !== 'object')
        throw new EtdiError('invalid-key', 'A JWK must be an object');
      for (const m of PRIVATE_MEMBERS) {
        if (m in input) {
          throw new EtdiError(
            'invalid-key',
            `JWK carries the private member "${m}": never publish or trust a private key`,
          );
        }
      }
      declaredAlg = input.alg;
      key = createPublicKey({ key: input as never, format: 'jwk' });
    }
  } catch (cause) {
    if (cause instanceof EtdiError) throw cause;
    throw new EtdiError('invalid-key', `Cannot read the public key: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (declaredAlg !== undefined && !isSigningAlgorithm(declaredAlg)) {
    throw new EtdiError(
      'invalid-key',
      `JWK "alg" ${JSON.stringify(declaredAlg)} is not EdDSA, ES256 or PS256`,
    );
  }
  const alg = keyAlgorithm(key, declaredAlg, 'The public key');
  const base = key.export({ format: 'jwk' }) as PublicJwk;
  const kid = await jwkThumbprint(base);
  if (typeof input !== 'string' && input.kid !== undefined && input.kid !== kid) {
    throw new EtdiError(
      'invalid-key',
      `JWK "kid" ${JSON.stringify(input.kid)} is not its RFC 7638 thumbprint ${kid}`,
    );
  }
  return { alg, kid, key, publicJwk: { ...base, kid, alg, use: 'sig' } };
}
