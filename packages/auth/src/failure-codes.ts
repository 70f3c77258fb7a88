import { codeGuard, defineCodes } from '@etdi/core';

/**
 * Machine-readable reasons carried in `AuthResult.error`. Every failed authentication names
 * exactly one, so tests, logs and HTTP replies can tell a revoked token from an expired one
 * without reading message text.
 */
export const AUTH_FAILURE_CODES = defineCodes([
  // No credential this provider understands was presented: a chain moves on to the next provider.
  'no-credentials',
  // Transport-level problems found while extracting credentials from a request.
  'malformed-credentials',
  'unsupported-scheme',
  'credential-too-large',
  'ambiguous-credentials',
  // API keys.
  'invalid-api-key',
  'key-inactive',
  'key-expired',
  'ip-not-allowed',
  'endpoint-not-allowed',
  'outside-allowed-hours',
  'rate-limit-exceeded',
  'insufficient-scope',
  'project-mismatch',
  // Tokens (JWT and OAuth2).
  'malformed-token',
  'alg-not-allowed',
  'unknown-key',
  'bad-signature',
  'token-expired',
  'token-not-yet-valid',
  'issuer-mismatch',
  'audience-mismatch',
  'missing-claim',
  'invalid-claim',
  'token-revoked',
  'token-inactive',
  'refresh-failed',
  // Basic authentication.
  'invalid-username-or-password',
  'user-inactive',
  // Client certificates.
  'certificate-invalid',
  'certificate-expired',
  'certificate-not-yet-valid',
  'certificate-untrusted',
  'certificate-not-pinned',
  'certificate-usage',
  'unmapped-identity',
  // Trusted proxy header.
  'untrusted-proxy',
  // Chains and sessions.
  'identity-mismatch',
  'unknown-session',
  'session-expired',
  // Dependencies and bugs: the caller is not at fault, and the request fails closed.
  'jwks-unavailable',
  'introspection-unavailable',
  'store-unavailable',
  'internal-error',
]);

/** One reason from {@link AUTH_FAILURE_CODES}. */
export type AuthFailureCode = (typeof AUTH_FAILURE_CODES)[number];

/** Narrows an unknown value (a code read from a log or the wire) to {@link AuthFailureCode}. */
export const isAuthFailureCode = codeGuard(AUTH_FAILURE_CODES);
