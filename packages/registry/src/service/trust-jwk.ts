import type { TrustJwk, TrustJwks } from '@etdi/core';
import type { KeyRecord } from '../store/registry-store.js';

/** A stored key as a trust JWK (wire format §3): the public JWK, `iss`, `status` and dates. */
export function trustJwkOf(key: KeyRecord): TrustJwk {
  return {
    ...key.jwk,
    kid: key.kid,
    iss: key.iss,
    status: key.status,
    ...(key.notBefore === undefined ? {} : { notBefore: key.notBefore }),
    ...(key.notAfter === undefined ? {} : { notAfter: key.notAfter }),
  };
}

/** Stored keys as a trust JWKS document. */
export function trustJwksOf(keys: readonly KeyRecord[]): TrustJwks {
  return { keys: keys.map(trustJwkOf) };
}
