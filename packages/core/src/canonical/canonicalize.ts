import { createHash } from 'node:crypto';
import jcs from 'canonicalize';
import { EtdiError, pointerToken } from '../errors.js';

/** Limits applied while checking a value before canonicalization. */
export interface CanonicalizeOptions {
  /** Deepest nesting of objects and arrays; the root container is depth 1. Default 64. */
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 64;

/**
 * Throws unless `value` is plain JSON that RFC 8785 can represent exactly: no lone surrogates,
 * NaN, Infinity, BigInt, functions, symbols, `undefined` array elements, class instances (Date,
 * Map, Buffer...) or cycles, and no deeper than `maxDepth`. Object members whose value is
 * `undefined` count as absent, as in `JSON.stringify`. Own `__proto__` keys (as `JSON.parse`
 * creates them) are ordinary members.
 */
export function assertCanonicalizable(value: unknown, options?: CanonicalizeOptions): void {
  check(value, '', 1, options?.maxDepth ?? DEFAULT_MAX_DEPTH, []);
}

function fail(pointer: string, what: string): never {
  throw new EtdiError(
    'not-canonicalizable',
    `${what} at "${pointer || '/'}" cannot be represented in RFC 8785 (JCS) canonical JSON`,
    { pointer },
  );
}

function check(value: unknown, pointer: string, depth: number, maxDepth: number, path: object[]) {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) fail(pointer, 'A lone UTF-16 surrogate');
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(pointer, String(value));
      return;
    case 'boolean':
      return;
    case 'bigint':
      return fail(pointer, 'A BigInt');
    case 'function':
      return fail(pointer, 'A function');
    case 'symbol':
      return fail(pointer, 'A symbol');
    case 'undefined':
      return fail(pointer, 'undefined');
    default:
      break;
  }
  if (value === null) return;
  const obj = value as object;
  if (depth > maxDepth) {
    throw new EtdiError(
      'not-canonicalizable',
      `Nesting deeper than ${maxDepth} levels at "${pointer}"`,
      { pointer },
    );
  }
  if (path.includes(obj)) fail(pointer, 'A circular reference');
  path.push(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      check(obj[i], `${pointer}/${i}`, depth + 1, maxDepth, path);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const ctor = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      fail(pointer, `An instance of ${ctor} (only plain objects are JSON)`);
    }
    for (const key of Object.keys(obj)) {
      const member: unknown = (obj as Record<string, unknown>)[key];
      const memberPointer = `${pointer}/${pointerToken(key)}`;
      if (!key.isWellFormed()) fail(memberPointer, 'A member name with a lone UTF-16 surrogate');
      if (member === undefined) continue;
      check(member, memberPointer, depth + 1, maxDepth, path);
    }
  }
  path.pop();
}

/**
 * RFC 8785 (JCS) canonical form of a JSON value, as a string. Input JCS cannot represent is
 * rejected with `EtdiError('not-canonicalizable')` naming the JSON pointer; it is never coerced.
 *
 * @example
 * canonicalize({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 */
export function canonicalize(value: unknown, options?: CanonicalizeOptions): string {
  assertCanonicalizable(value, options);
  const out = jcs(value);
  if (out === undefined) fail('', 'The value');
  return out;
}

/** RFC 8785 canonical form as UTF-8 bytes. */
export function canonicalBytes(value: unknown, options?: CanonicalizeOptions): Buffer {
  return Buffer.from(canonicalize(value, options), 'utf8');
}

/** base64url(SHA-256(bytes)), the `dig` format of wire format v1. */
export function sha256Base64url(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}
