import type { SigningKey } from '@etdi/core';
import { CompactSign } from 'jose';

/** The `typ` header of a registry receipt. */
export const RECEIPT_TYPE = 'etdi-receipt+jwt';

/** Claims of a receipt: the registry `iss` accepted definition `sub` with digest `dig` at `iat`. */
export interface ReceiptClaims {
  /** The registry's id. */
  readonly iss: string;
  /** `iss/name@ver` of the definition. */
  readonly sub: string;
  readonly dig: string;
  readonly iat: number;
}

/** The `sub` of a receipt for a definition. */
export function receiptSubject(iss: string, name: string, ver: string): string {
  return `${iss}/${name}@${ver}`;
}

/**
 * Signs a receipt (compact JWS, `typ` `etdi-receipt+jwt`) with the registry key: the
 * `ETDI-Receipt` header served with the definition, so a gateway can require that the registry
 * accepted it.
 */
export async function signReceipt(key: SigningKey, claims: ReceiptClaims): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: RECEIPT_TYPE })
    .sign(key.privateKey);
}
