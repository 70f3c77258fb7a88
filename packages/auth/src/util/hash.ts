import { randomBytes } from 'node:crypto';

/** An unguessable identifier: 32 random bytes, base64url. */
export function randomId(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
