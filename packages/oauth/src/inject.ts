import { OAuthError } from './errors.js';
import type { AccessToken } from './access-token.js';
import type { OAuthConfig } from './config/types.js';
import { CONFIG_DEFAULTS } from './config/prepare.js';

/** Headers of a request to an HTTP upstream. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** An environment of a spawned process, such as `process.env`. */
export type ProcessEnv = Readonly<Record<string, string | undefined>>;

/**
 * Where a token goes: the headers (and URL) of a request to an HTTP upstream, or the environment
 * of a spawned stdio upstream. For stdio, `env` is where the allowed variables are copied
 * from (typically `process.env`); it is never passed on whole.
 */
export type TokenTarget =
  | { readonly transport: 'http'; readonly headers: UpstreamHeaders; readonly url?: string }
  | { readonly transport: 'stdio'; readonly env: ProcessEnv };

/**
 * Request headers that carry a credential or an identity the gateway's caller asserted, in lower
 * case. {@link injectToken} never passes them to an upstream: the MCP authorization spec forbids
 * token passthrough, and an upstream that trusts them would act with the caller's authority (or
 * the gateway's own key) instead of the gateway's upstream token.
 */
export const CREDENTIAL_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-gateway-key',
  'x-auth-token',
  'x-access-token',
  'x-amz-security-token',
  // Client certificates forwarded by a TLS-terminating proxy (nginx, Envoy, Azure, AWS ALB).
  'ssl-client-cert',
  'x-ssl-cert',
  'x-client-cert',
  'x-forwarded-client-cert',
  'x-arr-clientcert',
  'x-amzn-mtls-clientcert',
  // Identities asserted by an authenticating proxy in front of the gateway.
  'x-authenticated-user',
  'x-authenticated-userid',
  'x-remote-user',
  'x-forwarded-user',
  'x-forwarded-email',
  'x-forwarded-access-token',
]);

/** Prefixes of header families that carry the same (`X-SSL-Client-Verify`, `-S-DN`, ...). */
export const CREDENTIAL_HEADER_PREFIXES: readonly string[] = Object.freeze([
  'x-ssl-client-',
  'x-client-cert-',
  'x-amzn-mtls-clientcert-',
  'x-auth-request-',
]);

/**
 * Variables a stdio upstream inherits from the gateway's environment unless told otherwise:
 * enough to find executables, a home directory and a locale, and nothing secret.
 */
export const DEFAULT_STDIO_ENV: readonly string[] = Object.freeze(['PATH', 'HOME', 'LANG']);

/** Options of {@link injectToken}. */
export interface InjectTokenOptions {
  /**
   * `header` (default): `Authorization: Bearer`. `query`: the RFC 6750 §2.3 `access_token` URL
   * parameter, for legacy upstreams only; refused unless the configuration sets
   * `tokenInHeaderOnly: false` (never with OAuth 2.1).
   */
  readonly placement?: 'header' | 'query';
  /**
   * HTTP: more headers (any letter case) to strip besides {@link CREDENTIAL_HEADERS}, for
   * deployments with their own credential headers.
   */
  readonly stripHeaders?: readonly string[];
  /**
   * HTTP allowlist mode: pass only these headers (any letter case) and drop every other one.
   * Credential headers are stripped even when listed here.
   */
  readonly allowHeaders?: readonly string[];
  /**
   * stdio: variables copied from `target.env` besides {@link DEFAULT_STDIO_ENV}. Name only what
   * the upstream needs; the gateway's environment holds its own secrets (the cache encryption
   * key, client secrets).
   */
  readonly allowEnv?: readonly string[];
}

const CREDENTIALS = new Set(CREDENTIAL_HEADERS);

function lowerSet(names: readonly string[] | undefined): ReadonlySet<string> | undefined {
  return names === undefined ? undefined : new Set(names.map((name) => name.toLowerCase()));
}

function isCredentialHeader(name: string, extra: ReadonlySet<string> | undefined): boolean {
  return (
    CREDENTIALS.has(name) ||
    extra?.has(name) === true ||
    CREDENTIAL_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))
  );
}

function upstreamEnv(
  source: ProcessEnv,
  allowed: readonly string[] | undefined,
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  // Read by name rather than iterating `source`: `process.env` on Windows answers `PATH` for
  // `Path`, and nothing not asked for is ever copied.
  for (const name of [...DEFAULT_STDIO_ENV, ...(allowed ?? [])]) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * Puts the gateway's own token on a request to an upstream, and takes the caller's credentials
 * off it. Returns a copy; the input is not changed.
 *
 * - HTTP upstream: `authorization: Bearer <token>`. Every credential header the caller sent
 *   ({@link CREDENTIAL_HEADERS}, {@link CREDENTIAL_HEADER_PREFIXES}, `stripHeaders`; any letter
 *   case) is dropped, because the MCP authorization spec forbids passing the caller's
 *   credentials through. With `allowHeaders`, only the listed headers pass.
 * - stdio upstream: a minimal environment ({@link DEFAULT_STDIO_ENV} plus `allowEnv`, copied
 *   from `target.env`) and the variable `config.tokenEnvVar` (default `OAUTH_ACCESS_TOKEN`).
 *   The rest of the gateway's environment (its own secrets) is not passed on.
 *
 * @throws {OAuthError} `invalid-argument` for `placement: 'query'` while `tokenInHeaderOnly` is
 * on, or without a `url`.
 *
 * @example
 * const r = await oauth.getAccessToken(upstream.name, upstream.oauth);
 * if (r.error) throw r.error;
 * const { headers } = injectToken({ transport: 'http', headers: outgoing }, r.token, upstream.oauth);
 * const { env } = injectToken({ transport: 'stdio', env: process.env }, r.token, upstream.oauth, {
 *   allowEnv: ['NODE_OPTIONS'],
 * });
 * spawn(upstream.command, upstream.args, { env });
 */
export function injectToken<T extends TokenTarget>(
  target: T,
  token: AccessToken,
  config: OAuthConfig = {},
  options: InjectTokenOptions = {},
): T {
  if (target.transport === 'stdio') {
    const name = config.tokenEnvVar ?? CONFIG_DEFAULTS.tokenEnvVar;
    const env = upstreamEnv(target.env, options.allowEnv);
    env[name] = token.value;
    return { ...target, env };
  }
  const extra = lowerSet(options.stripHeaders);
  const allowed = lowerSet(options.allowHeaders);
  const headers: UpstreamHeaders = {};
  for (const [name, value] of Object.entries(target.headers)) {
    const lower = name.toLowerCase();
    if (isCredentialHeader(lower, extra)) continue;
    if (allowed !== undefined && !allowed.has(lower)) continue;
    headers[name] = value;
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
