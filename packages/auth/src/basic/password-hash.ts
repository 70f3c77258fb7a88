import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AUTH_DEFAULTS } from '../config/defaults.js';
import { AuthError } from '../errors.js';

/** Options of {@link hashPassword}. */
export interface HashPasswordOptions {
  /** log2 of the scrypt cost N. Default 15 (N = 32768: about 32 MiB and tens of ms per hash). */
  ln?: number;
  /** Block size. Default 8. */
  r?: number;
  /** Parallelism. Default 1. */
  p?: number;
}

interface ParsedHash {
  readonly ln: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

// PHC string format: $scrypt$ln=15,r=8,p=1$<salt>$<hash>, unpadded standard base64.
const PHC =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{22,})$/;
const KEY_LENGTH = 32;

function scryptAsync(
  password: string,
  salt: Buffer,
  length: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function scryptOptions(ln: number, r: number, p: number): ScryptOptions {
  const N = 2 ** ln;
  // Node refuses more memory than maxmem; allow what the parameters need, with headroom.
  return { N, r, p, maxmem: 128 * N * r * p + 1024 * 1024 };
}

function assertParameters(ln: number, r: number, p: number): void {
  // Bounds keep a hostile or mistaken hash from costing gigabytes or minutes per request.
  if (!(
    ln >= 10 &&
    ln <= 20 &&
    r >= 1 &&
    r <= 32 &&
    p >= 1 &&
    p <= 16 &&
    128 * 2 ** ln * r * p <= 512 * 1024 * 1024
  )) {
    throw new AuthError(
      'invalid-password-hash',
      `scrypt parameters ln=${ln}, r=${r}, p=${p} are outside the accepted bounds (ln 10–20, r 1–32, p 1–16, ≤ 512 MiB)`,
    );
  }
}

/** Parses a stored hash; throws `AuthError('invalid-password-hash')` when it is not one. */
export function parsePasswordHash(stored: string): ParsedHash {
  const match = PHC.exec(stored);
  if (!match) {
    throw new AuthError(
      'invalid-password-hash',
      'password hash is not in the form $scrypt$ln=…,r=…,p=…$<salt>$<hash>',
    );
  }
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  assertParameters(ln, r, p);
  return {
    ln,
    r,
    p,
    salt: Buffer.from(match[4]!, 'base64'),
    hash: Buffer.from(match[5]!, 'base64'),
  };
}

/**
 * Hashes a password with scrypt (node:crypto) and a random 16-byte salt, in the PHC string
 * format: `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`.
 *
 * @example
 * const stored = await hashPassword('correct horse battery staple');
 */
export async function hashPassword(
  password: string,
  options: HashPasswordOptions = {},
): Promise<string> {
  const defaults = AUTH_DEFAULTS.basic.passwordHash;
  const ln = options.ln ?? defaults.ln;
  const r = options.r ?? defaults.r;
  const p = options.p ?? defaults.p;
  assertParameters(ln, r, p);
  const salt = randomBytes(16);
  const hash = await scryptAsync(
    password.normalize('NFC'),
    salt,
    KEY_LENGTH,
    scryptOptions(ln, r, p),
  );
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`;
}

/**
 * Whether `password` matches `stored`, compared in constant time. Passwords are NFC-normalised
 * first, so the same password typed on different systems matches.
 */
export async function verifyPassword(
  password: string,
  stored: string | ParsedHash,
): Promise<boolean> {
  const parsed = typeof stored === 'string' ? parsePasswordHash(stored) : stored;
  const actual = await scryptAsync(
    password.normalize('NFC'),
    parsed.salt,
    parsed.hash.length,
    scryptOptions(parsed.ln, parsed.r, parsed.p),
  );
  return timingSafeEqual(actual, parsed.hash);
}
