import * as crypto from 'node:crypto';
import { types } from 'node:util';
import jcs from 'canonicalize';
import { EtdiError, pointerToken } from '../errors/etdi-error.js';

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
  const path: (string | number)[] = [];
  const problem = check(value, 1, options?.maxDepth ?? DEFAULT_MAX_DEPTH, path);
  if (problem === undefined) return;
  // The walk only records where it is; the pointer is built once, on failure.
  const pointer = path.map((t) => `/${pointerToken(t)}`).join('');
  if (problem === DEPTH) {
    throw new EtdiError(
      'not-canonicalizable',
      isCycle(value, path)
        ? `A circular reference at "${pointer}" cannot be represented in RFC 8785 (JCS) canonical JSON`
        : `Nesting deeper than ${options?.maxDepth ?? DEFAULT_MAX_DEPTH} levels at "${pointer}"`,
      { pointer },
    );
  }
  throw new EtdiError(
    'not-canonicalizable',
    `${problem} at "${pointer || '/'}" cannot be represented in RFC 8785 (JCS) canonical JSON`,
    { pointer },
  );
}

const DEPTH = Symbol('depth');
const { isProxy } = types;

/** Whether the object at `path` is one of its own ancestors. */
function isCycle(root: unknown, path: readonly (string | number)[]): boolean {
  const ancestors: unknown[] = [root];
  let node = root;
  for (const t of path) {
    node = (node as Record<string | number, unknown>)[t];
    if (ancestors.includes(node)) return true;
    ancestors.push(node);
  }
  return false;
}

/**
 * Returns what is wrong (leaving `path` at the offending member), or `undefined`. No path
 * strings are built while walking: this runs on every verification. Cycles need no bookkeeping:
 * a cycle always ends past the depth limit, and is recognised there.
 */
function check(
  value: unknown,
  depth: number,
  maxDepth: number,
  path: (string | number)[],
): string | typeof DEPTH | undefined {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? undefined : 'A lone UTF-16 surrogate';
    case 'number':
      return Number.isFinite(value) ? undefined : String(value);
    case 'boolean':
      return undefined;
    case 'bigint':
      return 'A BigInt';
    case 'function':
      return 'A function';
    case 'symbol':
      return 'A symbol';
    case 'undefined':
      return 'undefined';
    default:
      break;
  }
  if (value === null) return undefined;
  if (depth > maxDepth) return DEPTH;
  // A proxy can answer the guard and the serializer differently.
  if (isProxy(value)) return 'A proxy object';
  if (Array.isArray(value)) {
    // An array subclass, or an array with members of its own (such as `toJSON` or `map`, which
    // the serializer would call), is not a JSON array.
    if (Object.getPrototypeOf(value) !== Array.prototype) return 'An array subclass';
    if (Object.keys(value).length !== value.length) {
      return 'An array with members other than its elements (or with holes)';
    }
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const problem = check(value[i], depth + 1, maxDepth, path);
      if (problem !== undefined) return problem;
      path.pop();
    }
    return undefined;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    return `An instance of ${ctor} (only plain objects are JSON)`;
  }
  for (const key of Object.keys(value as object)) {
    path.push(key);
    if (!key.isWellFormed()) return 'A member name with a lone UTF-16 surrogate';
    const member: unknown = (value as Record<string, unknown>)[key];
    if (member !== undefined) {
      const problem = check(member, depth + 1, maxDepth, path);
      if (problem !== undefined) return problem;
    }
    path.pop();
  }
  return undefined;
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
  if (out === undefined) {
    throw new EtdiError('not-canonicalizable', 'The value has no JSON representation', {
      pointer: '',
    });
  }
  return out;
}

/** RFC 8785 canonical form as UTF-8 bytes. */
export function canonicalBytes(value: unknown, options?: CanonicalizeOptions): Buffer {
  return Buffer.from(canonicalize(value, options), 'utf8');
}

// One-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object: it is on the verify hot path.
const oneShotHash = (
  crypto as {
    hash?: (algorithm: string, data: string | Uint8Array, encoding: 'base64url') => string;
  }
).hash;

/** base64url(SHA-256(bytes)), the `dig` format of wire format v1. Strings hash as UTF-8. */
export function sha256Base64url(bytes: string | Uint8Array): string {
  return oneShotHash
    ? oneShotHash('sha256', bytes, 'base64url')
    : crypto.createHash('sha256').update(bytes).digest('base64url');
}
