import { codeGuard, defineCodes } from '@etdi/core';

/**
 * Every status an authentication can end in. A closed set: callers `switch` on it, and
 * {@link httpStatusFor} maps each one to an HTTP status.
 */
export const AUTH_STATUSES = defineCodes([
  'success',
  'failure',
  'expired',
  'invalid-credentials',
  'insufficient-permissions',
  'rate-limited',
  'error',
]);

/** The outcome class of an authentication; see {@link AUTH_STATUSES}. */
export type AuthStatus = (typeof AUTH_STATUSES)[number];

/** Every way a caller can prove who it is. */
export const AUTH_METHODS = defineCodes([
  'api-key',
  'oauth',
  'jwt',
  'basic-auth',
  'bearer-token',
  'mtls',
  'proxy',
  'custom',
]);

/** How a caller authenticated; see {@link AUTH_METHODS}. */
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Narrows an unknown value to {@link AuthStatus}. */
export const isAuthStatus = codeGuard(AUTH_STATUSES);

/** Narrows an unknown value to {@link AuthMethod}. */
export const isAuthMethod = codeGuard(AUTH_METHODS);
