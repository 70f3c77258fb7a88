// `/`, or segments that do not start with a dot and hold no `%`, `\`, `?` or `#`.
const ALREADY_NORMAL = /^\/$|^(?:\/(?!\.)[A-Za-z0-9\-_~!$&'()*+,;=:@.]+)+\/?$/;

/**
 * The path policies match against: query and fragment dropped, repeated slashes collapsed, dot
 * segments resolved (also percent-encoded ones), so `/a/./b`, `//a/b` and `/x/../a/b` all read
 * `/a/b`. An encoded slash (`%2F`) stays encoded, as the router sees it.
 */
export function normalizePath(target: string): string {
  // Almost every request path is already normal; checking is far cheaper than a URL parse.
  if (ALREADY_NORMAL.test(target)) return target;
  let end = target.length;
  const q = target.indexOf('?');
  if (q !== -1) end = q;
  const h = target.indexOf('#');
  if (h !== -1 && h < end) end = h;
  let path = target.slice(0, end);
  // absolute-form request target (RFC 9112 §3.2.2): keep only its path.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (scheme) path = path.slice(scheme[0].length);
  path = `/${path}`.replace(/[/\\]+/g, '/');
  try {
    return new URL(`http://localhost${path}`).pathname;
  } catch {
    return path;
  }
}
