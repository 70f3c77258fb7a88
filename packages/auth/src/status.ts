/**
 * Every status an authentication can end in. A closed set: callers `switch` on it, and
 * {@link httpStatusFor} maps each one to an HTTP status.
 */
export const AUTH_STATUSES = [
  'success',
  'failure',
  'expired',
  'invalid_credentials',
  'insufficient_permissions',
  'rate_limited',
  'error',
] as const;

/** The outcome class of an authentication; see {@link AUTH_STATUSES}. */
export type AuthStatus = (typeof AUTH_STATUSES)[number];

/** Every way a caller can prove who it is. */
export const AUTH_METHODS = [
  'api_key',
  'oauth',
  'jwt',
  'basic_auth',
  'bearer_token',
  'mtls',
  'proxy',
  'custom',
] as const;

/** How a caller authenticated; see {@link AUTH_METHODS}. */
export type AuthMethod = (typeof AUTH_METHODS)[number];

const statuses: ReadonlySet<string> = new Set(AUTH_STATUSES);
const methods: ReadonlySet<string> = new Set(AUTH_METHODS);

/** Narrows an unknown value to {@link AuthStatus}. */
export function isAuthStatus(value: unknown): value is AuthStatus {
  return typeof value === 'string' && statuses.has(value);
}

/** Narrows an unknown value to {@link AuthMethod}. */
export function isAuthMethod(value: unknown): value is AuthMethod {
  return typeof value === 'string' && methods.has(value);
}
