import { AuthError } from '../errors.js';

/** Whether `hostname` (as `URL` spells it) is a loopback address: 127.0.0.0/8, `::1`, localhost. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Options of {@link secureUrl}. */
export interface SecureUrlOptions {
  /** Configuration key, for the message and the JSON pointer. */
  readonly key: string;
  /** Who asks, for the message: `JWT provider`. */
  readonly owner: string;
  /** Accept `http://` on a loopback host (tests, local development). */
  readonly allowLoopbackHttp: boolean;
}

/**
 * An `https:` URL of a server keys or token answers come from, or `AuthError('invalid-config')`
 * at start-up. Plain `http:` would let anyone on the path swap the keys or vouch for any token;
 * it is accepted only on a loopback host with `allowLoopbackHttp`. Credentials in the URL are
 * refused: URLs end up in logs.
 */
export function secureUrl(value: string | URL, options: SecureUrlOptions): URL {
  const { key, owner } = options;
  const fail = (message: string) =>
    new AuthError('invalid-config', `${owner}: "${key}" ${message}`, { pointer: `/${key}` });
  let url: URL;
  try {
    url = new URL(String(value));
  } catch (cause) {
    throw new AuthError('invalid-config', `${owner}: "${key}" is not a URL`, {
      pointer: `/${key}`,
      cause,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail('must be an https URL');
  if (url.username !== '' || url.password !== '') {
    throw fail('must not contain credentials (they would show in logs)');
  }
  if (url.protocol === 'http:' && !(options.allowLoopbackHttp && isLoopbackHost(url.hostname))) {
    throw fail(
      `uses http:// (${url.host}); use https` +
        (isLoopbackHost(url.hostname) ? ', or set allowLoopbackHttp for local tests' : ''),
    );
  }
  return url;
}
