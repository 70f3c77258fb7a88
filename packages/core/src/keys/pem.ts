import { createPrivateKey, createPublicKey } from 'node:crypto';
import { EtdiError } from '../errors.js';
import type { PrivateJwk, PublicJwk } from './types.js';

function jwkCore<T extends PublicJwk>(jwk: T): T {
  // node:crypto rejects unknown JWK members it cannot ignore (such as our `iss`) in some versions.
  const {
    kid: _k,
    alg: _a,
    use: _u,
    iss: _i,
    status: _s,
    notBefore: _b,
    notAfter: _n,
    ...core
  } = jwk as T & Record<string, unknown>;
  return core as T;
}

/** PKCS#8 PEM of a private JWK. */
export function privateJwkToPem(jwk: PrivateJwk): string {
  try {
    return createPrivateKey({ key: jwkCore(jwk) as never, format: 'jwk' })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
  } catch (cause) {
    throw new EtdiError(
      'invalid-key',
      `Cannot convert the private JWK to PEM: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** SPKI PEM of a public JWK (private members, if any, are ignored). */
export function publicJwkToPem(jwk: PublicJwk): string {
  try {
    return createPublicKey({ key: jwkCore(jwk) as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
  } catch (cause) {
    throw new EtdiError(
      'invalid-key',
      `Cannot convert the public JWK to PEM: ${(cause as Error).message}`,
      { cause },
    );
  }
}
