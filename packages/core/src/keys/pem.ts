import { createPrivateKey, createPublicKey } from 'node:crypto';
import { EtdiError } from '../errors/etdi-error.js';
import type { PrivateJwk, PublicJwk } from './types.js';

function toPem(what: string, convert: () => string | Buffer): string {
  try {
    return convert().toString();
  } catch (cause) {
    throw new EtdiError(
      'invalid-key',
      `Cannot convert the ${what} JWK to PEM: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** PKCS#8 PEM of a private JWK. */
export function privateJwkToPem(jwk: PrivateJwk): string {
  return toPem('private', () =>
    createPrivateKey({ key: jwk as never, format: 'jwk' }).export({
      type: 'pkcs8',
      format: 'pem',
    }),
  );
}

/** SPKI PEM of a public JWK (private members, if any, are ignored). */
export function publicJwkToPem(jwk: PublicJwk): string {
  return toPem('public', () =>
    createPublicKey({ key: jwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    }),
  );
}
