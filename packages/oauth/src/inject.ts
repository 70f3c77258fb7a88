import { OAuthError } from './errors.js';
import type { AccessToken } from './access-token.js';
import { OAUTH_CONFIG_DEFAULTS, type OAuthConfig } from './config/schema.js';

/** Headers of a request to an HTTP upstream. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** An environment of a spawned process, such as `process.env`. */
export type ProcessEnv = Readonly<Record<string, string | undefined>>;

/** A request to an HTTP upstream: its headers, and its URL for the legacy query placement. */
export interface HttpTokenTarget {
  readonly transport: 'http';
  readonly headers: UpstreamHeaders;
  readonly url?: string;
}

/**
 * A stdio upstream about to be spawned. `env` is where the allowed variables are copied from
 * (typically `process.env`); it is never passed on whole.
 */
export interface StdioTokenTarget {
  readonly transport: 'stdio';
  readonly env: ProcessEnv;
}

/** Where a token goes: an HTTP upstream's request or a stdio upstream's environment. */
export type TokenTarget = HttpTokenTarget | StdioTokenTarget;

/**
 * Request headers that carry a credential or an identity by convention, in lower case.
 * {@link injectToken} strips them from every request to an upstream, whatever list of
 * `credentialHeaders` the caller passes: the MCP authorization spec forbids token passthrough,
 * and an upstream that trusts one of them (behind the same proxy, say) would act with the
 * caller's authority, or the gateway's own key, instead of the gateway's upstream token.
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

/** Options of {@link injectToken} for an HTTP upstream. */
export interface HttpInjectOptions {
  /**
   * Every header the gateway read the caller's credentials from, in any letter case: pass
   * `@etdi/auth`'s exported list (configured names included, such as a custom `X-Acme-Key`).
   * Stripped together with {@link CREDENTIAL_HEADERS} and {@link CREDENTIAL_HEADER_PREFIXES},
   * which go whatever this list holds. Required, so that no caller forgets its own headers; `[]`
   * strips the standard ones only.
   */
  readonly credentialHeaders: readonly string[];
  /** The upstream's configuration: `tokenInHeaderOnly` decides whether `query` is allowed. */
  readonly config?: OAuthConfig;
  /**
   * `header` (default): `Authorization: Bearer`. `query`: the RFC 6750 §2.3 `access_token` URL
   * parameter, for legacy upstreams only; refused unless the configuration sets
   * `tokenInHeaderOnly: false` (never with OAuth 2.1).
   */
  readonly placement?: 'header' | 'query';
  /**
   * Allowlist mode: pass only these headers (any letter case) and drop every other one.
   * Credential headers are stripped even when listed here.
   */
  readonly allowHeaders?: readonly string[];
}

/** Options of {@link injectToken} for a stdio upstream. */
export interface StdioInjectOptions {
  /** The upstream's configuration: `tokenEnvVar` names the variable the token goes in. */
  readonly config?: OAuthConfig;
  /**
   * Variables copied from `target.env` besides {@link DEFAULT_STDIO_ENV}. Name only what the
   * upstream needs; the gateway's environment holds its own secrets (the cache encryption key,
   * client secrets).
   */
  readonly allowEnv?: readonly string[];
}

/** Options of {@link injectToken}, by transport. */
export type InjectTokenOptions = HttpInjectOptions | StdioInjectOptions;

const STANDARD = new Set(CREDENTIAL_HEADERS);

function lowerSet(names: readonly string[]): ReadonlySet<string> {
  return new Set(names.map((name) => name.toLowerCase()));
}

function isCredentialHeader(name: string, listed: ReadonlySet<string>): boolean {
  return (
    STANDARD.has(name) ||
    listed.has(name) ||
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

function credentialHeadersOf(options: HttpInjectOptions | undefined): ReadonlySet<string> {
  // JavaScript callers may leave the list out; refusing beats forwarding a custom credential.
  const names: unknown = options?.credentialHeaders;
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
    throw new OAuthError(
      'invalid-argument',
      'injectToken for an HTTP upstream needs "credentialHeaders": the header names the caller\'s ' +
        "credentials arrived in (@etdi/auth's list), or [] for the standard ones only",
    );
  }
  return lowerSet(names as string[]);
}

/**
 * Puts the gateway's own token on a request to an upstream, and takes the caller's credentials
 * off it. Returns a copy; the input is not changed.
 *
 * - HTTP upstream: `authorization: Bearer <token>`. Every credential header the caller sent is
 *   dropped in any letter case: the `credentialHeaders` the caller names (the headers its
 *   authentication read, `@etdi/auth`'s list) and always {@link CREDENTIAL_HEADERS} and
 *   {@link CREDENTIAL_HEADER_PREFIXES}, because the MCP authorization spec forbids passing the
 *   caller's credentials through. With `allowHeaders`, only the listed headers pass.
 * - stdio upstream: a minimal environment ({@link DEFAULT_STDIO_ENV} plus `allowEnv`, copied
 *   from `target.env`) and the variable `config.tokenEnvVar` (default `OAUTH_ACCESS_TOKEN`).
 *   The rest of the gateway's environment (its own secrets) is not passed on.
 *
 * @throws {OAuthError} `invalid-argument` for an HTTP target without a `credentialHeaders` list,
 * for `placement: 'query'` while `tokenInHeaderOnly` is on, or without a `url`.
 *
 * @example
 * const r = await oauth.getAccessToken(upstream.name, upstream.oauth);
 * if (!r.ok) throw r.error;
 * const { headers } = injectToken({ transport: 'http', headers: outgoing }, r.token, {
 *   credentialHeaders: authCredentialHeaders, // @etdi/auth's list, configured names included
 *   config: upstream.oauth,
 * });
 * const { env } = injectToken({ transport: 'stdio', env: process.env }, r.token, {
 *   config: upstream.oauth,
 *   allowEnv: ['NODE_OPTIONS'],
 * });
 * spawn(upstream.command, upstream.args, { env });
 */
export function injectToken(
  target: HttpTokenTarget,
  token: AccessToken,
  options: HttpInjectOptions,
): HttpTokenTarget;
export function injectToken(
  target: StdioTokenTarget,
  token: AccessToken,
  options?: StdioInjectOptions,
): StdioTokenTarget;
export function injectToken(
  target: TokenTarget,
  token: AccessToken,
  options?: InjectTokenOptions,
): TokenTarget {
  if (target.transport === 'stdio') {
    const { config, allowEnv } = (options ?? {}) as StdioInjectOptions;
    const name = config?.tokenEnvVar ?? OAUTH_CONFIG_DEFAULTS.tokenEnvVar;
    const env = upstreamEnv(target.env, allowEnv);
    env[name] = token.value;
    return { ...target, env };
  }
  const http = options as HttpInjectOptions | undefined;
  const listed = credentialHeadersOf(http);
  const allowed = http?.allowHeaders === undefined ? undefined : lowerSet(http.allowHeaders);
  const headers: UpstreamHeaders = {};
  for (const [name, value] of Object.entries(target.headers)) {
    const lower = name.toLowerCase();
    if (isCredentialHeader(lower, listed)) continue;
    if (allowed !== undefined && !allowed.has(lower)) continue;
    headers[name] = value;
  }
  if ((http?.placement ?? 'header') === 'header') {
    headers['authorization'] = token.authorization;
    return { ...target, headers };
  }
  if (http?.config?.tokenInHeaderOnly ?? OAUTH_CONFIG_DEFAULTS.tokenInHeaderOnly) {
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
