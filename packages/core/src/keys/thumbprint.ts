import { calculateJwkThumbprint, type JWK } from 'jose';
import { EtdiError } from '../errors/etdi-error.js';
import type { PublicJwk } from './types.js';

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the `kid` of every ETDI key.
 *
 * @example
 * await jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k' (RFC 8037 §A.3)
 */
export async function jwkThumbprint(jwk: PublicJwk): Promise<string> {
  try {
    return await calculateJwkThumbprint(jwk as JWK, 'sha256');
  } catch (cause) {
    throw new EtdiError('invalid-key', `Cannot compute the JWK thumbprint: ${String(cause)}`, {
      cause,
    });
  }
}
