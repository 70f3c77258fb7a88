import { createHash, randomBytes } from 'node:crypto';

/** base64url(SHA-256(value)): how stores index bearer values without holding them. */
export function sha256Base64url(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** An unguessable identifier: 32 random bytes, base64url. */
export function randomId(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
