/**
 * Where the top-level `id` value of a JSON-RPC message is in its text, found without parsing
 * the message: the byte-level list cache keys on everything but this span.
 *
 * Soundness (what the cache relies on): for a valid JSON object text, the span returned is
 * exactly the value of its top-level `id` member, and that value is a JSON string, number or
 * `null` token. Forward, members are read from the opening brace while their values are
 * scalars; backward, from the closing brace while their values are scalars whose strings hold no
 * backslash (so every quote seen going backward is unescaped, and each token's boundaries are
 * certain). Anything else (an `id` behind an object on both sides, escapes where a backward read
 * would need them) returns `undefined`: such a message is simply not cached. A text that is not
 * valid JSON may yield a span, but it can only match a cached entry if it equals a valid cached
 * text everywhere outside the span, and the span must itself be a valid scalar token, which
 * makes the text valid with the same structure.
 */
export interface IdSpan {
  /** Offset of the first character of the id value. */
  readonly start: number;
  /** Offset just past the id value. */
  readonly end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipForward(text: string, i: number): number {
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

function skipBackward(text: string, i: number): number {
  while (i >= 0 && isWhitespace(text.charCodeAt(i))) i--;
  return i;
}

/** End (exclusive) of a JSON string starting at `i` (a quote), checking its escapes; or -1. */
function stringForward(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      const e = text[j + 1];
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) return -1;
        j += 5;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) j++;
      else return -1;
    }
  }
  return -1;
}

/** End (exclusive) of a scalar token starting at `i`, or -1 (an object, array or garbage). */
function scalarForward(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringForward(text, i);
  for (const literal of ['true', 'false', 'null']) {
    if (text.startsWith(literal, i)) return i + literal.length;
  }
  let j = i;
  while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++;
  return j > i && NUMBER.test(text.slice(i, j)) ? j : -1;
}

/**
 * Start of a scalar token that ends at `end` (inclusive), read backward; -1 when that cannot be
 * done with certainty.
 */
function scalarBackward(text: string, end: number): number {
  const c = text.charCodeAt(end);
  if (c === QUOTE) {
    for (let j = end - 1; j >= 0; j--) {
      const d = text.charCodeAt(j);
      if (d === BACKSLASH || d < 0x20) return -1;
      if (d === QUOTE) return j > 0 && text.charCodeAt(j - 1) === BACKSLASH ? -1 : j;
    }
    return -1;
  }
  for (const literal of ['true', 'false', 'null']) {
    const start = end - literal.length + 1;
    if (start >= 0 && text.startsWith(literal, start)) return start;
  }
  let j = end;
  while (j >= 0 && /[0-9eE.+-]/.test(text[j]!)) j--;
  return j < end && NUMBER.test(text.slice(j + 1, end + 1)) ? j + 1 : -1;
}

function isIdValue(token: string): boolean {
  // JSON-RPC ids are strings, numbers or null; `true`/`false` are not ids.
  return token !== 'true' && token !== 'false';
}

function forward(text: string): IdSpan | 'stop' | undefined {
  let i = skipForward(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipForward(text, i + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = stringForward(text, i);
    if (keyEnd < 0) return undefined;
    const key = text.slice(i + 1, keyEnd - 1);
    i = skipForward(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = skipForward(text, i + 1);
    const valueEnd = scalarForward(text, i);
    if (key === 'id') {
      return valueEnd < 0 || !isIdValue(text.slice(i, valueEnd))
        ? undefined
        : { start: i, end: valueEnd };
    }
    if (valueEnd < 0) return 'stop';
    i = skipForward(text, valueEnd);
    if (text.charCodeAt(i) !== COMMA) return undefined;
    i = skipForward(text, i + 1);
  }
  return undefined;
}

function backward(text: string): IdSpan | undefined {
  let j = skipBackward(text, text.length - 1);
  if (text.charCodeAt(j) !== CLOSE_BRACE) return undefined;
  j = skipBackward(text, j - 1);
  for (;;) {
    const valueStart = scalarBackward(text, j);
    if (valueStart < 0) return undefined;
    const valueEnd = j + 1;
    let k = skipBackward(text, valueStart - 1);
    if (text.charCodeAt(k) !== COLON) return undefined;
    k = skipBackward(text, k - 1);
    if (text.charCodeAt(k) !== QUOTE) return undefined;
    const keyStart = scalarBackward(text, k);
    if (keyStart < 0) return undefined;
    if (text.slice(keyStart + 1, k) === 'id') {
      return isIdValue(text.slice(valueStart, valueEnd))
        ? { start: valueStart, end: valueEnd }
        : undefined;
    }
    const m = skipBackward(text, keyStart - 1);
    if (text.charCodeAt(m) !== COMMA) return undefined;
    j = skipBackward(text, m - 1);
  }
}

/**
 * The span of the top-level `id` value of a JSON-RPC message text, or `undefined` when it cannot
 * be located with certainty without parsing (see the module comment for why this is sound).
 *
 * @example
 * const text = '{"result":{"tools":[]},"jsonrpc":"2.0","id":7}';
 * const span = locateResponseId(text); // text.slice(span.start, span.end) === '7'
 */
export function locateResponseId(text: string): IdSpan | undefined {
  const found = forward(text);
  if (found === 'stop') return backward(text);
  return found;
}
