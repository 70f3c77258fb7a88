import { inspectServerUrl } from '@etdi/core';
import { AuthError } from '../errors.js';

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
 * refused: URLs end up in logs. The rules are `@etdi/core`'s `inspectServerUrl`, shared with
 * `@etdi/oauth`.
 */
export function secureUrl(value: string | URL, options: SecureUrlOptions): URL {
  const { key, owner } = options;
  const checked = inspectServerUrl(value, { allowLoopbackHttp: options.allowLoopbackHttp });
  if (checked.ok) return checked.url;
  const fail = (message: string) =>
    new AuthError('invalid-config', `${owner}: "${key}" ${message}`, { pointer: `/${key}` });
  switch (checked.problem) {
    case 'not-a-url':
      throw fail('is not a URL');
    case 'credentials':
      throw fail('must not contain credentials (they would show in logs)');
    case 'insecure-http':
      throw fail(
        `uses http:// (${checked.url?.host ?? ''}); use https` +
          (checked.loopback ? ', or set allowLoopbackHttp for local tests' : ''),
      );
    default:
      throw fail('must be an https URL');
  }
}
