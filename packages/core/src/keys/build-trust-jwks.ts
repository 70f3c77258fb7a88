import { EtdiError } from '../errors/etdi-error.js';
import { assertProviderId } from '../sign/claims.js';
import { importVerificationKey, toPublicJwk } from './import-key.js';
import type { KeyStatus, PublicJwk, TrustJwk, TrustJwks } from './types.js';

/** One key for {@link buildTrustJwks}. */
export interface TrustJwkInput {
  /** The public (or private: only its public part is used) JWK. */
  jwk: PublicJwk;
  /** Provider the key signs for. */
  iss: string;
  status?: KeyStatus;
  notBefore?: Date;
  notAfter?: Date;
}

/**
 * Builds a trust JWKS: each key's public members, `kid` (RFC 7638 thumbprint), `alg`, `use`,
 * the provider `iss` it signs for, and optionally its status and validity window.
 *
 * @example
 * const jwks = await buildTrustJwks([{ jwk: pair.publicJwk, iss: 'com.acme' }]);
 */
export async function buildTrustJwks(keys: readonly TrustJwkInput[]): Promise<TrustJwks> {
  const out: TrustJwk[] = [];
  for (const k of keys) {
    assertProviderId(k.iss);
    if (k.status === 'retired' && !k.notAfter) {
      throw new EtdiError('invalid-argument', 'A retired key needs notAfter');
    }
    const { publicJwk, kid } = await importVerificationKey(
      toPublicJwk({ ...k.jwk, kid: undefined }),
    );
    out.push({
      ...publicJwk,
      kid,
      iss: k.iss,
      ...(k.status ? { status: k.status } : {}),
      ...(k.notBefore ? { notBefore: k.notBefore.toISOString() } : {}),
      ...(k.notAfter ? { notAfter: k.notAfter.toISOString() } : {}),
    });
  }
  return { keys: out };
}
