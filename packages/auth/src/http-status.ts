import type { AuthStatus } from './status.js';

/**
 * The HTTP status a server answers with for an authentication status: 401 when the caller must
 * (re)authenticate, 403 when it is known but not allowed, 429 when rate limited, 503 when a
 * dependency (JWKS, introspection endpoint, Redis) failed and the request fails closed.
 */
export function httpStatusFor(status: AuthStatus): 200 | 401 | 403 | 429 | 503 {
  switch (status) {
    case 'success':
      return 200;
    case 'insufficient-permissions':
      return 403;
    case 'rate-limited':
      return 429;
    case 'error':
      return 503;
    case 'failure':
    case 'expired':
    case 'invalid-credentials':
      return 401;
  }
}
