import type { AuthResult } from '../result.js';

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

/**
 * The challenges of a refused request: RFC 6750 `Bearer` (with `error` and
 * `resource_metadata` per RFC 9728), plus `Basic` when the chain accepts Basic credentials.
 */
export function wwwAuthenticate(
  result: AuthResult,
  options: WwwAuthenticateOptions = {},
): string[] {
  const params = [`realm=${quoted(options.realm ?? 'etdi')}`];
  // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
  if (result.error !== 'no-credentials') {
    const code =
      result.status === 'insufficient_permissions'
        ? 'insufficient_scope'
        : result.status === 'error' || result.status === 'rate_limited'
          ? undefined
          : result.error === 'malformed-credentials' || result.error === 'unsupported-scheme'
            ? 'invalid_request'
            : 'invalid_token';
    if (code) params.push(`error=${quoted(code)}`, `error_description=${quoted(result.message)}`);
  }
  if (options.resourceMetadataUrl)
    params.push(`resource_metadata=${quoted(options.resourceMetadataUrl)}`);
  const challenges = [`Bearer ${params.join(', ')}`];
  if (options.basic)
    challenges.push(`Basic realm=${quoted(options.realm ?? 'etdi')}, charset="UTF-8"`);
  return challenges;
}
