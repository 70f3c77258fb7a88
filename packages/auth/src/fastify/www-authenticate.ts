import type { AuthResult } from '../result.js';

/** An RFC 6750 §3 Bearer challenge a caller computes itself (a gateway checking a tool's scopes). */
export interface BearerChallenge {
  /** RFC 6750 §3.1 error code; none for a request that sent no credentials. */
  readonly error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  /** `error_description`: for the developer reading the response, not for the end user. */
  readonly description?: string;
  /** `scope`: the scopes the request needs, e.g. the signed `perms` of the tool called. */
  readonly scope?: readonly string[];
}

/** Options of {@link wwwAuthenticate}. */
export interface WwwAuthenticateOptions {
  /** `realm` of the challenges. Default `etdi`. */
  realm?: string;
  /** RFC 9728 protected resource metadata URL, sent as `resource_metadata`. */
  resourceMetadataUrl?: string;
  /** Add a `Basic` challenge (the chain accepts Basic credentials). Default false. */
  basic?: boolean;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\\r\n]/g, ' ')}"`;
}

// The RFC 6750 error code of a refused authentication, or none (no credentials, or a refusal
// that is not about the token: a rate limit, an unreachable dependency).
function bearerError(result: AuthResult): BearerChallenge['error'] {
  if (result.error === 'no-credentials') return undefined;
  if (result.status === 'insufficient-permissions') return 'insufficient_scope';
  if (result.status === 'error' || result.status === 'rate-limited') return undefined;
  return result.error === 'malformed-credentials' || result.error === 'unsupported-scheme'
    ? 'invalid_request'
    : 'invalid_token';
}

/**
 * The `WWW-Authenticate` challenges of a refused request: RFC 6750 `Bearer` (with `error`,
 * `error_description`, `scope` and RFC 9728 `resource_metadata`), plus `Basic` when the chain
 * accepts Basic credentials. The refusal is an `AuthResult`, or a {@link BearerChallenge} the
 * caller computes: a gateway that finds the caller's scopes short of a tool's `perms` answers 403
 * with `error="insufficient_scope", scope="…"`.
 *
 * @example
 * const missing = missingScopes(request.auth!.scopes, tool.perms);
 * if (missing.length > 0)
 *   reply.code(403).header('www-authenticate', wwwAuthenticate(
 *     { error: 'insufficient_scope', scope: missing, description: `${tool.name} needs ${missing.join(' ')}` },
 *     { resourceMetadataUrl },
 *   ));
 */
export function wwwAuthenticate(
  refusal: AuthResult | BearerChallenge,
  options: WwwAuthenticateOptions = {},
): string[] {
  const challenge: BearerChallenge =
    'status' in refusal ? { error: bearerError(refusal), description: refusal.message } : refusal;
  const params = [`realm=${quoted(options.realm ?? 'etdi')}`];
  // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
  if (challenge.error !== undefined) {
    params.push(`error=${quoted(challenge.error)}`);
    if (challenge.description !== undefined)
      params.push(`error_description=${quoted(challenge.description)}`);
  }
  if (challenge.scope !== undefined && challenge.scope.length > 0)
    params.push(`scope=${quoted(challenge.scope.join(' '))}`);
  if (options.resourceMetadataUrl)
    params.push(`resource_metadata=${quoted(options.resourceMetadataUrl)}`);
  const challenges = [`Bearer ${params.join(', ')}`];
  if (options.basic)
    challenges.push(`Basic realm=${quoted(options.realm ?? 'etdi')}, charset="UTF-8"`);
  return challenges;
}
