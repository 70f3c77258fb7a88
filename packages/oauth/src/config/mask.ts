import { maskSecret } from '@etdi/core';
import type { OAuthConfig } from './schema.js';

/**
 * A copy of `config` that is safe to log: `clientSecret`, `refreshToken` and the mTLS key
 * `passphrase` are masked with `maskSecret`, and `customHeaders` values are masked too (they
 * often carry API keys).
 *
 * @example
 * app.log.info({ oauth: maskOAuthConfig(config) }, 'upstream configured');
 */
export function maskOAuthConfig(config: OAuthConfig): OAuthConfig {
  const masked: Record<string, unknown> = { ...config };
  if (config.clientSecret !== undefined) masked.clientSecret = maskSecret(config.clientSecret);
  if (config.refreshToken !== undefined) masked.refreshToken = maskSecret(config.refreshToken);
  if (config.mtls !== undefined) {
    masked.mtls =
      config.mtls.passphrase === undefined
        ? { ...config.mtls }
        : { ...config.mtls, passphrase: maskSecret(config.mtls.passphrase) };
  }
  if (config.customHeaders !== undefined) {
    masked.customHeaders = Object.fromEntries(
      Object.entries(config.customHeaders).map(([name, value]) => [name, maskSecret(value)]),
    );
  }
  return masked as OAuthConfig;
}
