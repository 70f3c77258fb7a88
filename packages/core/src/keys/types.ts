import type { KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from './algorithms.js';

/** A public JWK (RFC 7517) of one of the supported key types. */
export interface PublicJwk {
  kty: 'OKP' | 'EC' | 'RSA';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  kid?: string;
  alg?: string;
  use?: string;
  [member: string]: unknown;
}

/** A private JWK: the public members plus the private ones (`d`, and `p`, `q`... for RSA). */
export interface PrivateJwk extends PublicJwk {
  d: string;
}

/** Lifecycle of a trusted key. A retired key still verifies what it signed while active. */
export type KeyStatus = 'active' | 'retired' | 'revoked';

/**
 * A member of a trust JWKS: a public JWK bound to the provider it signs for (`iss`), with the
 * registry's status and validity window (RFC 3339 date-times). A key without `iss` signs for no
 * one.
 */
export interface TrustJwk extends PublicJwk {
  kid: string;
  iss?: string;
  status?: KeyStatus;
  notBefore?: string;
  notAfter?: string;
}

/** A trust JWKS document (RFC 7517 `{ "keys": [...] }`). */
export interface TrustJwks {
  keys: TrustJwk[];
}

/** A private key ready to sign with. */
export interface SigningKey {
  readonly alg: SigningAlgorithm;
  /** RFC 7638 thumbprint of the public key (SHA-256, base64url). */
  readonly kid: string;
  /** The provider the key is bound to, if the key file says so. */
  readonly iss: string | undefined;
  readonly privateKey: KeyObject;
  readonly publicJwk: PublicJwk;
}
