/**
 * Revoked token ids (`jti`). An entry is kept until the token's own expiry plus the verifier's
 * clock tolerance: after that the token is refused as expired anyway, so the list never grows
 * without bound. `JwtProvider.revoke` adds the tolerance; a caller revoking through the store
 * directly must add it too, or the token is accepted again within the tolerance.
 */
export interface JtiRevocationStore {
  /** Revokes `jti` until `expiresAt` (epoch milliseconds). */
  set(jti: string, expiresAt: number): Promise<void>;
  /** Until when `jti` is revoked (epoch milliseconds), or `undefined` when it is not (any more). */
  get(jti: string): Promise<number | undefined>;
}
