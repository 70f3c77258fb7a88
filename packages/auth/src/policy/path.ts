// `/`, or segments that do not start with a dot and hold no `%`, `\`, `;`, `?` or `#`: nothing to
// decode, resolve, collapse or cut, so every reading of the path is the path itself.
const ALREADY_NORMAL = /^\/$|^(?:\/(?!\.)[A-Za-z0-9\-_~!$&'()*+,=:@.]+)+\/?$/;
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;
// What `decodeURI` (and so Fastify's router) leaves encoded: the reserved characters a router
// treats as syntax, plus `%` itself so that decoding never makes a new escape (`%252e`).
const KEEP_ENCODED: ReadonlySet<number> = new Set([...'#$&+,/:;=?@%'].map((c) => c.charCodeAt(0)));
const utf8 = new TextDecoder('utf-8', { fatal: true });

function hex(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function decodeRun(run: string): string {
  const bytes = run
    .slice(1)
    .split('%')
    .map((h) => Number.parseInt(h, 16));
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const byte = bytes[i]!;
    if (byte < 0x80) {
      out += KEEP_ENCODED.has(byte) ? hex(byte) : String.fromCharCode(byte);
      i++;
      continue;
    }
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    let decoded: string | undefined;
    if (length > 1 && i + length <= bytes.length) {
      try {
        decoded = utf8.decode(Uint8Array.from(bytes.slice(i, i + length)));
      } catch {
        decoded = undefined;
      }
    }
    if (decoded === undefined) {
      // Not UTF-8: the router refuses it (400); here it stays an escape.
      out += hex(byte);
      i++;
    } else {
      out += decoded;
      i += length;
    }
  }
  return out;
}

/**
 * Decodes percent-escapes the way Fastify's router (`decodeURI`) does: unreserved characters
 * (`%61` is `a`, `%2e` is `.`) and UTF-8 text are decoded; reserved characters (`%2F`, `%3B`,
 * `%3F`, …) and `%25` stay encoded, in upper case; escapes that are not UTF-8 stay as they are.
 */
export function decodePath(path: string): string {
  return path.includes('%') ? path.replace(ESCAPES, decodeRun) : path;
}

/** The path of a request target: query and fragment dropped, absolute form reduced to its path. */
export function stripTarget(target: string): string {
  let end = target.length;
  const q = target.indexOf('?');
  if (q !== -1) end = q;
  const h = target.indexOf('#');
  if (h !== -1 && h < end) end = h;
  let path = target.slice(0, end);
  // absolute-form request target (RFC 9112 §3.2.2): keep only its path.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (scheme) path = path.slice(scheme[0].length);
  return path.startsWith('/') ? path : `/${path}`;
}

function collapseSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** RFC 3986 §5.2.4 remove_dot_segments on an absolute path; empty segments are kept. */
function resolveDots(path: string): string {
  if (!path.includes('.')) return path;
  const segments = path.split('/');
  const last = segments.length - 1;
  const out: string[] = [];
  for (let i = 1; i <= last; i++) {
    const segment = segments[i]!;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (i === last) out.push('');
    } else {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}

/**
 * The path policies are shown with and `AuthContext.path` holds: query and fragment dropped,
 * unreserved percent-escapes decoded (`/%61dmin` is `/admin`), repeated slashes collapsed, dot
 * segments resolved (also encoded ones), so `/a/./b`, `//a/b` and `/x/../a/b` all read `/a/b`.
 * Encoded reserved characters (`%2F`) and `%25` stay encoded, as the router sees them.
 */
export function normalizePath(target: string): string {
  if (ALREADY_NORMAL.test(target)) return target;
  return resolveDots(collapseSlashes(decodePath(stripTarget(target))));
}

/**
 * Every way a server could read a request path, for endpoint rules to hold against all of them:
 * a router that decodes but neither collapses `//` nor resolves `..` (Fastify's default routes
 * `/tools/../admin` to a `/tools/*` route), one that collapses (`ignoreDuplicateSlashes`), a
 * proxy or framework that resolves dot segments, one that reads `\` as `/`, one that ends the
 * path at `;` (`useSemicolonDelimiter`). An ordinary path has exactly one reading.
 */
export function pathReadings(target: string): readonly string[] {
  if (ALREADY_NORMAL.test(target)) return [target];
  const decoded = decodePath(stripTarget(target));
  let bases = [decoded];
  if (decoded.includes('\\')) bases = [...bases, ...bases.map((p) => p.replaceAll('\\', '/'))];
  // A `;` left after decoding was sent as is (`%3B` stays encoded), as a router would see it.
  if (decoded.includes(';')) bases = [...bases, ...bases.map((p) => p.slice(0, p.indexOf(';')))];
  const readings = new Set<string>();
  for (const base of bases) {
    const collapsed = collapseSlashes(base);
    readings.add(base).add(collapsed).add(resolveDots(base)).add(resolveDots(collapsed));
  }
  return [...readings];
}
