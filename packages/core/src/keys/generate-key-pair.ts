import { generateKeyPair as generateNodeKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { EtdiError } from '../errors/etdi-error.js';
import { isSigningAlgorithm, MIN_RSA_BITS, type SigningAlgorithm } from './algorithms.js';
import { jwkThumbprint } from './thumbprint.js';
import type { PrivateJwk, PublicJwk } from './types.js';

const generate = promisify(generateNodeKeyPair);

export interface GenerateKeyPairOptions {
  /** Provider (`iss`) the key signs for; written into both JWKs. */
  iss?: string;
  /** RSA modulus length for PS256 (at least 2048). Default 3072. */
  modulusLength?: number;
}

/** A freshly generated key pair as JWKs carrying `kid`, `alg`, `use` and (if given) `iss`. */
export interface GeneratedKeyPair {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly privateJwk: PrivateJwk;
  readonly publicJwk: PublicJwk;
}

/**
 * Generates a signing key pair: Ed25519 (EdDSA, the default), P-256 (ES256) or RSA-PSS (PS256).
 *
 * @example
 * const { privateJwk, publicJwk, kid } = await generateKeyPair('EdDSA', { iss: 'com.acme' });
 */
export async function generateKeyPair(
  alg: SigningAlgorithm = 'EdDSA',
  options: GenerateKeyPairOptions = {},
): Promise<GeneratedKeyPair> {
  if (!isSigningAlgorithm(alg)) {
    throw new EtdiError(
      'invalid-argument',
      `Unsupported algorithm ${JSON.stringify(alg)}; use EdDSA, ES256 or PS256`,
    );
  }
  const modulusLength = options.modulusLength ?? 3072;
  if (alg === 'PS256' && (!Number.isInteger(modulusLength) || modulusLength < MIN_RSA_BITS)) {
    throw new EtdiError('invalid-argument', `RSA keys must have at least ${MIN_RSA_BITS} bits`);
  }
  const pair =
    alg === 'EdDSA'
      ? await generate('ed25519')
      : alg === 'ES256'
        ? await generate('ec', { namedCurve: 'P-256' })
        : await generate('rsa', { modulusLength });
  const publicBase = pair.publicKey.export({ format: 'jwk' }) as PublicJwk;
  const privateBase = pair.privateKey.export({ format: 'jwk' }) as PrivateJwk;
  const kid = await jwkThumbprint(publicBase);
  const meta = { kid, alg, use: 'sig', ...(options.iss ? { iss: options.iss } : {}) };
  return {
    alg,
    kid,
    privateJwk: { ...privateBase, ...meta },
    publicJwk: { ...publicBase, ...meta },
  };
}
