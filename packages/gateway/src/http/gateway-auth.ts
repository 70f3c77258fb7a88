import {
  AuthError,
  authHook,
  buildAuthenticator,
  validateAuthConfig,
  wwwAuthenticate,
  type AuthHookHandler,
  type AuthResult,
  type Authenticator,
  type BuildAuthenticatorOptions,
} from '@etdi/auth';
import { missingScopes } from '@etdi/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';

// All of the gateway's wiring to @etdi/auth lives in this file. `request.auth` is declared by
// @etdi/auth (its `etdiAuth` plugin's module augmentation).

/** Builds the authenticator an `auth` configuration document describes. */
export function createGatewayAuthenticator(
  document: unknown,
  options: BuildAuthenticatorOptions,
): Promise<Authenticator> {
  return buildAuthenticator(document, options);
}

/**
 * The `onRequest` hook of the protected routes: the auth chain, answering 401 (with
 * `WWW-Authenticate: Bearer …, resource_metadata="<the route's RFC 9728 document>"`), 403,
 * 429 or 503 itself. Anonymous acceptances (client auth switched off) pass. The gateway keeps
 * its own hook rather than `app.requireAuth`: an operator's app may have registered `etdiAuth`
 * with an authenticator of its own.
 */
export function authenticate(
  authenticator: Authenticator,
  resourceMetadataUrl: (request: FastifyRequest) => string,
): AuthHookHandler {
  return authHook(authenticator, { resourceMetadataUrl });
}

/**
 * Every header the authenticator reads a credential or an asserted identity from (standard
 * ones, configured ones, the providers' own): none of them ever travels upstream.
 */
export function credentialHeaderNames(authenticator: Authenticator): readonly string[] {
  return authenticator.credentialHeaders();
}

/** The caller's scopes that are missing for `required` (empty: allowed). */
export function missingScopesOf(auth: AuthResult | null, required: readonly string[]): string[] {
  if (required.length === 0) return [];
  return missingScopes(auth?.scopes ?? [], required);
}

/**
 * Answers 403 `insufficient_scope` (RFC 6750 §3.1) naming the scopes the call needs, with the
 * route's RFC 9728 metadata, and `body` (a JSON-RPC error on MCP routes).
 */
export function refuseInsufficientScope(
  reply: FastifyReply,
  required: readonly string[],
  resourceMetadataUrl: string,
  body: string,
): FastifyReply {
  const challenge = wwwAuthenticate(
    {
      error: 'insufficient_scope',
      description: 'the caller lacks scopes this call needs',
      scope: required,
    },
    { resourceMetadataUrl },
  );
  return reply
    .code(403)
    .header('www-authenticate', challenge.length === 1 ? challenge[0]! : challenge)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(body);
}

/**
 * Who a session is bound to: the deciding provider, the user and the project (two providers
 * could both know a "ci" user), or `anonymous` when client auth is switched off.
 */
export function principalOf(auth: AuthResult | null): string {
  if (auth === null || auth.anonymous) return 'anonymous';
  return JSON.stringify([auth.source.provider, auth.userId ?? null, auth.projectId ?? null]);
}

/**
 * Validates the `auth` member of the gateway document without building anything (for
 * `--check`): problems become the gateway's `invalid-config` issues, under `/auth`.
 */
export function checkAuthDocument(
  document: unknown,
  env: Readonly<Record<string, string | undefined>>,
): void {
  try {
    validateAuthConfig(document, { env });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    const issues = (
      error.issues.length > 0
        ? error.issues
        : [{ pointer: error.pointer ?? '', message: error.message }]
    ).map((i) => ({ pointer: `/auth${i.pointer}`, message: i.message }));
    throw new GatewayError(
      'invalid-config',
      `invalid gateway configuration: ${issues.map((i) => `${i.pointer}: ${i.message}`).join('; ')}`,
      { cause: error, issues },
    );
  }
}
