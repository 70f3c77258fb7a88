import { checkOAuthConfig } from './check.js';
import type { OAuthConfig } from './schema.js';

/**
 * Asserts that `value` is a valid {@link OAuthConfig}: the schema (unknown keys and wrong types
 * are errors naming the member), what the grant type needs, what OAuth 2.1 forbids, and HTTPS on
 * every endpoint unless `enforceHttps` is off (2.0 only) or the endpoint is loopback and
 * `allowLoopbackHttp` is set. Reads no files: certificate files are checked when the service
 * prepares the configuration. Values are never quoted in messages, so a misplaced secret does not
 * end up in one.
 *
 * @throws {OAuthError} `invalid-config` or `insecure-url`, with `pointer` set to the member's
 * JSON pointer.
 *
 * @example
 * assertOAuthConfig(JSON.parse(text)); // throws OAuthError { code: 'invalid-config', pointer: '/tokenUrl' }
 */
export function assertOAuthConfig(value: unknown): asserts value is OAuthConfig {
  checkOAuthConfig(value);
}
