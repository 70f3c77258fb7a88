import { createHash } from 'node:crypto';
import { OAuthError } from './errors.js';
import type { CodeChallengeMethod } from './config/schema.js';

// RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * The PKCE `code_challenge` of a `code_verifier` (RFC 7636 §4.2): `BASE64URL(SHA256(verifier))`
 * for `S256`, the verifier itself for `plain`.
 *
 * @throws {OAuthError} `invalid-argument` when the verifier is not 43–128 unreserved characters.
 *
 * @example
 * computePkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
 * // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' (RFC 7636 Appendix B)
 */
export function computePkceChallenge(
  verifier: string,
  method: CodeChallengeMethod = 'S256',
): string {
  if (!VERIFIER.test(verifier)) {
    throw new OAuthError(
      'invalid-argument',
      'PKCE code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)',
    );
  }
  return method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
}
