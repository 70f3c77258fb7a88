import * as crypto from 'node:crypto';
import { types } from 'node:util';
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
 * Map, Buffer...), `toJSON` methods (own or inherited) or cycles, and no deeper than `maxDepth`.
 * Object members whose value is `undefined` count as absent, as in `JSON.stringify`. Own
 * `__proto__` keys (as `JSON.parse` creates them) are ordinary members.
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
    return hasToJson(value) ? TO_JSON : undefined;
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
  return hasToJson(value as object) ? TO_JSON : undefined;
}

const TO_JSON =
  'An object with a toJSON method (a serializer would call it instead of reading the data)';

/**
 * A `toJSON` the member walk cannot see (not enumerable, or inherited from a polluted
 * prototype): `JSON.stringify` and the `canonicalize` library would serialize what it returns.
 */
function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * RFC 8785 in one pass: checks and serializes each value as it reads it (a getter or proxy
 * cannot show the check one value and the serializer another), with the `canonicalize`
 * library's output exactly: strings and numbers as `JSON.stringify` writes them (ECMAScript
 * number formatting, `-0` as `0`), members sorted by UTF-16 code units, `undefined` members
 * left out. Returns `undefined` at the first thing {@link check} would refuse, so that the
 * caller can ask `check` what and where it is: refusals are rare, and then worth a second walk.
 */
function serialize(value: unknown, depth: number, maxDepth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? quote(value) : undefined;
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (depth > maxDepth || isProxy(value)) return undefined;
  if (Array.isArray(value)) {
    const n = value.length;
    if (Object.getPrototypeOf(value) !== Array.prototype || Object.keys(value).length !== n) {
      return undefined;
    }
    let out = '[';
    for (let i = 0; i < n; i++) {
      const item = serialize(value[i], depth + 1, maxDepth);
      if (item === undefined) return undefined;
      out += i === 0 ? item : `,${item}`;
    }
    return hasToJson(value) ? undefined : `${out}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  let out = '{';
  let first = true;
  for (const key of sortKeys(Object.keys(value))) {
    const name = memberName(key);
    if (name === undefined) return undefined;
    const member: unknown = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    const text = serialize(member, depth + 1, maxDepth);
    if (text === undefined) return undefined;
    out += first ? name + text : `,${name}${text}`;
    first = false;
  }
  return hasToJson(value) ? undefined : `${out}}`;
}

/** Member names up to this many UTF-16 code units are remembered by {@link memberName}. */
const NAME_CACHE_KEY_LENGTH = 64;
/** Member names remembered at most; the memory is emptied when it is full. */
const NAME_CACHE_SIZE = 1024;
const memberNames = new Map<string, string>();

/**
 * A well-formed member name as it starts a member, `"name":`, or `undefined` for a name with a
 * lone surrogate. Tool definitions name their members from a small vocabulary (JSON Schema
 * keywords, MCP members, parameter names), so the quoted forms of short names are remembered:
 * a lookup costs less than the checks and the copy. Only well-formed names are remembered.
 */
function memberName(key: string): string | undefined {
  let name = memberNames.get(key);
  if (name !== undefined) return name;
  if (!key.isWellFormed()) return undefined;
  name = `${quote(key)}:`;
  if (key.length <= NAME_CACHE_KEY_LENGTH) {
    if (memberNames.size >= NAME_CACHE_SIZE) memberNames.clear();
    memberNames.set(key, name);
  }
  return name;
}

/** Characters RFC 8785 §3.2.2.2 (like `JSON.stringify`) writes as escapes. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/**
 * A well-formed string as a JSON string literal, exactly as `JSON.stringify` writes it. Most
 * strings need no escape, and a regular expression test is cheaper than a `JSON.stringify` call.
 */
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * Member names in RFC 8785 §3.2.3 order: by UTF-16 code units, which is how `<` and
 * `Array.prototype.sort` compare strings. Objects of a tool have a handful of members, where an
 * insertion sort beats the built-in sort's setup.
 */
function sortKeys(keys: string[]): string[] {
  const n = keys.length;
  if (n > 16) return keys.sort();
  for (let i = 1; i < n; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

/**
 * RFC 8785 (JCS) canonical form of a JSON value, as a string. Input JCS cannot represent is
 * rejected with `EtdiError('not-canonicalizable')` naming the JSON pointer; it is never coerced.
 * Byte-identical to the `canonicalize` library on every input it accepts (the tests prove it on
 * the RFC 8785 vectors and on generated values), in one pass instead of a check and a serialization.
 *
 * @example
 * canonicalize({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 */
export function canonicalize(value: unknown, options?: CanonicalizeOptions): string {
  const out = serialize(value, 1, options?.maxDepth ?? DEFAULT_MAX_DEPTH);
  if (out !== undefined) return out;
  assertCanonicalizable(value, options);
  // Only a value that changed while it was read (an accessor) gets here: the walk saw a problem,
  // the second read did not.
  throw new EtdiError(
    'not-canonicalizable',
    'The value changed while it was being read (an accessor property?): it has no stable JSON form',
    { pointer: '' },
  );
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
