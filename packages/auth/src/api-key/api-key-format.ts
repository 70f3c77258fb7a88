import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from '../errors.js';

const KEY_ID = /^[A-Za-z0-9_-]{4,64}$/;
const SECRET = /^[A-Za-z0-9_-]{20,256}$/;
const STORED = /^(sha256|hmac-sha256):([A-Za-z0-9_-]{43})$/;

/** The two halves of an API key `keyId.secret`. */
export interface ParsedApiKey {
  /** Public identifier: stores look records up by it, logs may show it. */
  readonly keyId: string;
  /** Never stored, never logged. */
  readonly secret: string;
}

/** Options of {@link generateApiKey}. */
export interface GenerateApiKeyOptions {
  /** Prefix of the key id, so keys are recognisable in secret scanners. Default `etdi_`. */
  prefix?: string;
}

/**
 * A new API key: `keyId.secret`, where the key id is 12 random bytes and the secret 32 random
 * bytes (256 bits), both base64url. Show it to its owner once; store only {@link hashApiKey}.
 *
 * @example
 * const key = generateApiKey(); // 'etdi_Xb3…Q.4kP…w'
 */
export function generateApiKey(options: GenerateApiKeyOptions = {}): string {
  const prefix = options.prefix ?? 'etdi_';
  const keyId = `${prefix}${randomBytes(12).toString('base64url')}`;
  if (!KEY_ID.test(keyId)) {
    throw new AuthError(
      'invalid-argument',
      `API key prefix "${prefix}" is not [A-Za-z0-9_-]{0,32}`,
      {
        pointer: '/prefix',
      },
    );
  }
  return `${keyId}.${randomBytes(32).toString('base64url')}`;
}

/** Splits `keyId.secret`; `undefined` when the key does not have that form. */
export function parseApiKey(key: string): ParsedApiKey | undefined {
  const dot = key.indexOf('.');
  if (dot === -1) return undefined;
  const keyId = key.slice(0, dot);
  const secret = key.slice(dot + 1);
  if (!KEY_ID.test(keyId) || !SECRET.test(secret)) return undefined;
  return { keyId, secret };
}

function digest(key: string, pepper: string | Buffer | undefined): Buffer {
  return pepper === undefined
    ? createHash('sha256').update(key).digest()
    : createHmac('sha256', pepper).update(key).digest();
}

/**
 * The stored form of a key: `sha256:<base64url>` of the whole key, or `hmac-sha256:<…>` with a
 * server-side pepper. A fast hash is right here: the secret has 256 bits of entropy, so there is
 * nothing to brute-force, and a slow hash would make every request slow.
 */
export function hashApiKey(key: string, pepper?: string | Buffer): string {
  const scheme = pepper === undefined ? 'sha256' : 'hmac-sha256';
  return `${scheme}:${digest(key, pepper).toString('base64url')}`;
}

/** Whether a string is a well-formed stored hash. */
export function isApiKeyHash(value: string): boolean {
  return STORED.test(value);
}

// Compared against when the key id is unknown, so that case costs the same hash and compare.
const DUMMY = Buffer.alloc(32);

/**
 * Hashes the presented key and compares in constant time: the time taken does not depend on
 * how many leading characters were right. Pass `undefined` as `stored` for an unknown key id;
 * the work is done all the same.
 */
export function verifyApiKey(
  key: string,
  stored: string | undefined,
  pepper?: string | Buffer,
): boolean {
  const match = stored === undefined ? null : STORED.exec(stored);
  const expected = match ? Buffer.from(match[2]!, 'base64url') : DUMMY;
  const usePepper = match?.[1] === 'hmac-sha256' ? (pepper ?? Buffer.alloc(0)) : undefined;
  const actual = digest(key, usePepper);
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  return match !== null && equal;
}
