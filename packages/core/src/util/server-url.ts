/** Whether `hostname` (as `URL` spells it) is a loopback address: 127.0.0.0/8, `::1`, localhost. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Options of {@link inspectServerUrl}. */
export interface ServerUrlOptions {
  /** Refuse plain `http:` (except on loopback with `allowLoopbackHttp`). Default true. */
  readonly requireHttps?: boolean;
  /** Accept `http:` on a loopback host (tests, local development). Default false. */
  readonly allowLoopbackHttp?: boolean;
  /** Refuse a `#fragment` (OAuth endpoints must not have one, RFC 6749 §3.1). Default false. */
  readonly refuseFragment?: boolean;
}

/** What is wrong with a server URL; each package words its own message and error. */
export type ServerUrlProblem =
  'not-a-url' | 'not-http' | 'credentials' | 'fragment' | 'insecure-http';

/**
 * Checks the URL of a server that keys, tokens or token answers come from: an absolute
 * `https:` URL without credentials (URLs end up in logs). Plain `http:` would let anyone on the
 * path swap keys or vouch for any token, so it passes only on a loopback host when explicitly
 * allowed. Shared by `@etdi/auth` and `@etdi/oauth`, which turn a problem into their own errors.
 *
 * @example
 * const r = inspectServerUrl('http://127.0.0.1:8080/token', { allowLoopbackHttp: true }); // ok
 */
export function inspectServerUrl(
  value: string | URL,
  options: ServerUrlOptions = {},
):
  | { readonly ok: true; readonly url: URL }
  | {
      readonly ok: false;
      readonly problem: ServerUrlProblem;
      readonly url?: URL;
      readonly loopback: boolean;
    } {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return { ok: false, problem: 'not-a-url', loopback: false };
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, problem: 'not-http', url, loopback };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'credentials', url, loopback };
  }
  if (options.refuseFragment && url.hash !== '')
    return { ok: false, problem: 'fragment', url, loopback };
  if (
    url.protocol === 'http:' &&
    (options.requireHttps ?? true) &&
    !(options.allowLoopbackHttp && loopback)
  ) {
    return { ok: false, problem: 'insecure-http', url, loopback };
  }
  return { ok: true, url };
}
