import { OAuthError } from './errors.js';
import type { AccessToken } from './access-token.js';
import type { OAuthConfig } from './config/types.js';
import { CONFIG_DEFAULTS } from './config/prepare.js';

/** Headers of a request to an HTTP upstream. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/**
 * Where a token goes: the headers (and URL) of a request to an HTTP upstream, or the environment
 * of a spawned stdio upstream.
 */
export type TokenTarget =
  | { readonly transport: 'http'; readonly headers: UpstreamHeaders; readonly url?: string }
  | { readonly transport: 'stdio'; readonly env: Readonly<Record<string, string | undefined>> };

/** Options of {@link injectToken}. */
export interface InjectTokenOptions {
  /**
   * `header` (default): `Authorization: Bearer`. `query`: the RFC 6750 §2.3 `access_token` URL
   * parameter, for legacy upstreams only; refused unless the configuration sets
   * `tokenInHeaderOnly: false` (never with OAuth 2.1).
   */
  readonly placement?: 'header' | 'query';
}

/**
 * Puts the gateway's own token on a request to an upstream, and takes the caller's credentials
 * off it: any `Authorization` header already present (in any letter case) is replaced, because
 * the MCP authorization spec forbids passing the caller's token through. Returns a copy; the
 * input is not changed.
 *
 * - HTTP upstream: `authorization: Bearer <token>`.
 * - stdio upstream: the environment variable `config.tokenEnvVar` (default `OAUTH_ACCESS_TOKEN`).
 *
 * @throws {OAuthError} `invalid-argument` for `placement: 'query'` while `tokenInHeaderOnly` is
 * on, or without a `url`.
 *
 * @example
 * const r = await oauth.getAccessToken(upstream.name, upstream.oauth);
 * if (r.error) throw r.error;
 * const { headers } = injectToken({ transport: 'http', headers: outgoing }, r.token, upstream.oauth);
 * const { env } = injectToken({ transport: 'stdio', env: process.env }, r.token, upstream.oauth);
 */
export function injectToken<T extends TokenTarget>(
  target: T,
  token: AccessToken,
  config: OAuthConfig = {},
  options: InjectTokenOptions = {},
): T {
  if (target.transport === 'stdio') {
    const name = config.tokenEnvVar ?? CONFIG_DEFAULTS.tokenEnvVar;
    return { ...target, env: { ...target.env, [name]: token.value } };
  }
  const headers: UpstreamHeaders = {};
  for (const [name, value] of Object.entries(target.headers)) {
    if (name.toLowerCase() !== 'authorization') headers[name] = value;
  }
  if ((options.placement ?? 'header') === 'header') {
    headers['authorization'] = token.authorization;
    return { ...target, headers };
  }
  if (config.tokenInHeaderOnly ?? CONFIG_DEFAULTS.tokenInHeaderOnly) {
    throw new OAuthError(
      'invalid-argument',
      'token placement "query" needs tokenInHeaderOnly: false (tokens in URLs leak into logs)',
    );
  }
  if (target.url === undefined) {
    throw new OAuthError('invalid-argument', 'token placement "query" needs the request "url"');
  }
  const url = new URL(target.url);
  url.searchParams.set('access_token', token.value);
  return { ...target, headers, url: url.toString() };
}
