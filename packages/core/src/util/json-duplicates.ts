import { pointerToken } from '../errors/etdi-error.js';

type Frame =
  | { readonly kind: 'object'; readonly seen: Set<string>; key: string | undefined }
  | { readonly kind: 'array'; index: number };

/**
 * The JSON pointer of the first repeated member name in a JSON text, or `undefined`.
 *
 * `JSON.parse` silently keeps the last of two members with the same name, while other parsers
 * keep the first. Signing or canonicalizing such a file would bless one reading of an ambiguous
 * document (RFC 8785 requires I-JSON input, which forbids duplicates): refuse such input.
 * `text` must already have parsed: this only tracks structure. It is iterative, so a deeply
 * nested file cannot exhaust the stack.
 *
 * @example
 * findDuplicateMember('{"a":{"b":1,"b":2}}'); // '/a/b'
 */
export function findDuplicateMember(text: string): string | undefined {
  const stack: Frame[] = [];
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const top = stack[stack.length - 1];
    switch (c) {
      case '{':
        stack.push({ kind: 'object', seen: new Set(), key: undefined });
        expectKey = true;
        i++;
        break;
      case '[':
        stack.push({ kind: 'array', index: 0 });
        expectKey = false;
        i++;
        break;
      case '}':
      case ']':
        stack.pop();
        expectKey = false;
        i++;
        break;
      case ',':
        if (top?.kind === 'array') top.index++;
        else expectKey = true;
        i++;
        break;
      case '"': {
        const start = i++;
        while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
        i++;
        if (expectKey && top?.kind === 'object') {
          // Decoding makes "a" and "\u0061" the same name, as every parser sees them.
          const key = JSON.parse(text.slice(start, i)) as string;
          if (top.seen.has(key)) return pointerOf(stack.slice(0, -1), key);
          top.seen.add(key);
          top.key = key;
          expectKey = false;
        }
        break;
      }
      default:
        i++;
    }
  }
  return undefined;
}

function pointerOf(frames: readonly Frame[], last: string): string {
  const tokens = frames.map((f) => (f.kind === 'object' ? (f.key ?? '') : f.index));
  return [...tokens, last].map((t) => `/${pointerToken(t)}`).join('');
}
