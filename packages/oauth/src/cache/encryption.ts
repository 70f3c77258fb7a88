import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { OAuthError } from '../errors.js';

/**
 * A 32-byte AES-256 key: raw bytes, 64 hex digits, or base64 / base64url of 32 bytes
 * (`openssl rand -base64 32`).
 */
export type TokenEncryptionKey = Uint8Array | string;

const VERSION = 'v1';
const IV_BYTES = 12; // the GCM standard nonce size
const TAG_BYTES = 16;

/** Decodes and checks a {@link TokenEncryptionKey}; `what` names it in the error. */
export function parseEncryptionKey(key: TokenEncryptionKey, what: string): Buffer {
  let bytes: Buffer | undefined;
  if (typeof key !== 'string') {
    bytes = Buffer.from(key);
  } else if (/^[0-9a-fA-F]{64}$/.test(key)) {
    bytes = Buffer.from(key, 'hex');
  } else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(key)) {
    bytes = Buffer.from(key, 'base64');
  }
  if (bytes?.length !== 32) {
    // Never echo the key, not even its length: a wrong key is often a passphrase.
    throw new OAuthError(
      'invalid-argument',
      `${what} must be 32 bytes (raw, 64 hex digits, or base64 of 32 bytes, e.g. openssl rand -base64 32)`,
    );
  }
  return bytes;
}

function keyId(key: Buffer): string {
  // A short, non-secret name for the key so entries written under an older key can be opened
  // after rotation. Derived one-way, so it says nothing about the key.
  return createHash('sha256')
    .update('etdi-oauth-cache-key-id\0')
    .update(key)
    .digest('base64url')
    .slice(0, 8);
}

/**
 * AES-256-GCM for cache entries at rest: a fresh random 96-bit IV per entry, the cache key as
 * additional authenticated data (so an entry copied under another key does not open), and a key
 * id so older keys keep working during rotation. Sealed form:
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
export class TokenCipher {
  readonly #current: { id: string; key: Buffer };
  readonly #keys: Map<string, Buffer>;

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    this.#current = { id: keyId(current), key: current };
    this.#keys = new Map([[this.#current.id, current]]);
    for (const key of previous) this.#keys.set(keyId(key), key);
  }

  /** Id of the key new entries are sealed with. */
  get keyId(): string {
    return this.#current.id;
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      this.#current.id,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  /** The plaintext, or `undefined` when the value is malformed, under an unknown key, or forged. */
  open(sealed: string, aad: string): string | undefined {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) return undefined;
    const key = this.#keys.get(parts[1]!);
    if (key === undefined) return undefined;
    const iv = Buffer.from(parts[2]!, 'base64url');
    const tag = Buffer.from(parts[3]!, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(parts[4]!, 'base64url')),
        decipher.final(),
      ]);
      return plaintext.toString('utf8');
    } catch {
      return undefined; // authentication failed: wrong key or tampered entry
    }
  }
}
