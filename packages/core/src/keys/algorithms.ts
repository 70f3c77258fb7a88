import { constants, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';

/** The JWS algorithms ETDI signs and verifies with. `none` and `HS*` never are. */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256', 'PS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly unknown[]).includes(value);
}

/** Smallest RSA modulus accepted for PS256, in bits. */
export const MIN_RSA_BITS = 2048;

/**
 * The algorithm a public key is for, from its type: Ed25519 → EdDSA, P-256 → ES256,
 * RSA (rsaEncryption) ≥ 2048 bits → PS256. `undefined` for any other key.
 */
export function algorithmOfKey(key: KeyObject): SigningAlgorithm | undefined {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'EdDSA';
    case 'ec':
      return details?.namedCurve === 'prime256v1' ? 'ES256' : undefined;
    case 'rsa':
      // Keys restricted to RSA-PSS (OID id-RSASSA-PSS) are refused: they cannot be expressed
      // as a JWK, so they could not be published in a trust JWKS.
      return (details?.modulusLength ?? 0) >= MIN_RSA_BITS ? 'PS256' : undefined;
    default:
      return undefined;
  }
}

/** `node:crypto` verify parameters for an algorithm: digest name and key options. */
export function nodeVerifyParams(
  alg: SigningAlgorithm,
  key: KeyObject,
): { digest: string | null; key: KeyObject | VerifyKeyObjectInput } {
  switch (alg) {
    case 'EdDSA':
      // A bare KeyObject skips node's per-call option parsing: this is the hot path.
      return { digest: null, key };
    case 'ES256':
      // JWS carries ECDSA signatures as raw r || s (RFC 7518 §3.4), not DER.
      return { digest: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' } };
    case 'PS256':
      // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
      return {
        digest: 'sha256',
        key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      };
  }
}
