import { randomBytes } from 'node:crypto';
import type { CodeChallengeMethod } from './config/schema.js';
import { computePkceChallenge } from './pkce-challenge.js';

/** A PKCE verifier and its challenge. The verifier is a secret until the code is exchanged. */
export interface PkcePair {
  readonly verifier: string;
  readonly challenge: string;
  readonly method: CodeChallengeMethod;
}

/**
 * A fresh PKCE pair (RFC 7636): 32 random bytes as a base64url verifier (43 characters, 256 bits
 * of entropy, the RFC's recommendation) and its challenge.
 *
 * @example
 * const { verifier, challenge } = createPkcePair();
 */
export function createPkcePair(method: CodeChallengeMethod = 'S256'): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: computePkceChallenge(verifier, method), method };
}
