import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { EtdiError } from '../errors/etdi-error.js';
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
        '; ETDI signs with Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 bits or more (PS256)' +
        (key.asymmetricKeyType === 'rsa-pss'
          ? ' (an RSA-PSS-restricted key cannot be published as a JWK: export the key as plain RSA, e.g. `openssl genpkey -algorithm RSA`)'
          : ''),
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

/** Runs a node:crypto key import, turning its errors into `invalid-key` with a message. */
function readKey<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (cause instanceof EtdiError) throw cause;
    throw new EtdiError('invalid-key', `Cannot read the ${what}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** The algorithm, public JWK and `kid` of a key, refusing a declared `kid` that is not its own. */
async function identify(
  publicKey: KeyObject,
  input: PublicJwk | string,
  declaredAlg: unknown,
  what: string,
): Promise<{ alg: SigningAlgorithm; kid: string; base: PublicJwk }> {
  const alg = keyAlgorithm(publicKey, declaredAlg, `The ${what}`);
  const base = publicKey.export({ format: 'jwk' }) as PublicJwk;
  const kid = await jwkThumbprint(base);
  if (typeof input !== 'string' && input.kid !== undefined && input.kid !== kid) {
    throw new EtdiError(
      'invalid-key',
      `The ${what}'s JWK "kid" ${JSON.stringify(input.kid)} is not its RFC 7638 thumbprint ${kid}`,
    );
  }
  return { alg, kid, base };
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
  let declaredAlg: unknown;
  let iss: string | undefined;
  const privateKey = readKey('private key', () => {
    if (typeof input === 'string') return createPrivateKey({ key: input, format: 'pem' });
    if (input === null || typeof input !== 'object' || typeof input.d !== 'string') {
      throw new EtdiError('invalid-key', 'Not a private JWK: the "d" member is missing');
    }
    if (input.iss !== undefined && typeof input.iss !== 'string') {
      throw new EtdiError('invalid-key', 'JWK "iss" member must be a string');
    }
    declaredAlg = input.alg;
    iss = input.iss;
    return createPrivateKey({ key: input as never, format: 'jwk' });
  });
  if (privateKey.type !== 'private') throw new EtdiError('invalid-key', 'Expected a private key');
  const { alg, kid, base } = await identify(
    createPublicKey(privateKey),
    input,
    declaredAlg,
    'private key',
  );
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
  let declaredAlg: unknown;
  const key = readKey('public key', () => {
    if (typeof input === 'string') {
      if (/PRIVATE KEY/.test(input)) {
        throw new EtdiError('invalid-key', 'Expected a public key, got a private key');
      }
      return createPublicKey({ key: input, format: 'pem' });
    }
    if (input === null || typeof input !== 'object') {
      throw new EtdiError('invalid-key', 'A JWK must be an object');
    }
    for (const m of PRIVATE_MEMBERS) {
      if (m in input) {
        throw new EtdiError(
          'invalid-key',
          `JWK carries the private member "${m}": never publish or trust a private key`,
        );
      }
    }
    declaredAlg = input.alg;
    return createPublicKey({ key: input as never, format: 'jwk' });
  });
  if (declaredAlg !== undefined && !isSigningAlgorithm(declaredAlg)) {
    throw new EtdiError(
      'invalid-key',
      `JWK "alg" ${JSON.stringify(declaredAlg)} is not EdDSA, ES256 or PS256`,
    );
  }
  const { alg, kid, base } = await identify(key, input, declaredAlg, 'public key');
  return { alg, kid, key, publicJwk: { ...base, kid, alg, use: 'sig' } };
}
