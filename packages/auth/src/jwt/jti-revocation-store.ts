/**
 * Revoked token ids (`jti`). An entry is kept until the token's own expiry: after that the
 * token is refused as expired anyway, so the list never grows without bound.
 */
export interface JtiRevocationStore {
  /** Revokes `jti` until `expiresAt` (epoch milliseconds). */
  revoke(jti: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}
