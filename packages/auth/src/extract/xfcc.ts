/** One element of an `X-Forwarded-Client-Cert` header: key/value pairs, keys lower-cased. */
export type XfccElement = ReadonlyMap<string, string>;

/**
 * Parses Envoy's `X-Forwarded-Client-Cert` header: elements separated by `,`, pairs by `;`,
 * values optionally double-quoted (a quoted value may hold `,` `;` `=` and `\"`). Returns
 * `undefined` when the header does not follow that grammar.
 */
export function parseXfcc(header: string): XfccElement[] | undefined {
  const elements: XfccElement[] = [];
  let current = new Map<string, string>();
  let i = 0;
  const n = header.length;
  while (i < n) {
    while (i < n && header[i] === ' ') i++;
    const eq = header.indexOf('=', i);
    if (eq === -1) return undefined;
    const key = header.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z]+$/.test(key)) return undefined;
    i = eq + 1;
    let value = '';
    if (header[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = header[i]!;
        if (c === '\\' && i + 1 < n) {
          value += header[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return undefined;
    } else {
      const start = i;
      while (i < n && header[i] !== ';' && header[i] !== ',') i++;
      value = header.slice(start, i).trim();
      // Envoy quotes any value holding separators; a bare one never holds "=", quotes or spaces.
      if (/[="\s]/.test(value)) return undefined;
    }
    // Envoy repeats URI and DNS for each SAN; keep them all, comma separated.
    const previous = current.get(key);
    current.set(key, previous === undefined ? value : `${previous},${value}`);
    while (i < n && header[i] === ' ') i++;
    if (i >= n) break;
    if (header[i] === ';') {
      i++;
    } else if (header[i] === ',') {
      elements.push(current);
      current = new Map();
      i++;
    } else {
      return undefined;
    }
  }
  if (current.size > 0) elements.push(current);
  return elements.length > 0 ? elements : undefined;
}
