import {
  authHook,
  buildAuthenticator,
  type AuthLogger,
  type AuthResult,
  type Authenticator,
  type BuildAuthenticatorOptions,
} from '@etdi/auth';
import { missingScopes, type Logger } from '@etdi/core';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

// All of the gateway's wiring to @etdi/auth lives in this file, so adopting the auth package's
// Fastify plugin (and its exported credential header list) is a change here only.

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, as the auth chain accepted it; null before authentication. */
    auth: AuthResult | null;
  }
}

/** Options of {@link createGatewayAuthenticator}. */
export interface GatewayAuthenticatorOptions extends Omit<BuildAuthenticatorOptions, 'logger'> {
  readonly logger: Logger;
}

/**
 * Builds the authenticator an `auth` configuration document describes, logging through the
 * gateway's logger.
 */
export function createGatewayAuthenticator(
  document: unknown,
  options: GatewayAuthenticatorOptions,
): Promise<Authenticator> {
  const { logger, ...rest } = options;
  // @etdi/auth still takes (message, fields); the family's order is (fields, message).
  const authLogger: AuthLogger = {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
    ...(logger.isLevelEnabled ? { isLevelEnabled: logger.isLevelEnabled.bind(logger) } : {}),
  };
  return buildAuthenticator(document, { ...rest, logger: authLogger });
}

/**
 * The `onRequest` hook of a protected route: the auth chain, answering 401 (with
 * `WWW-Authenticate: Bearer …, resource_metadata="<this route's RFC 9728 document>"`), 403,
 * 429 or 503 itself. Anonymous acceptances (client auth switched off) pass.
 */
export function authenticate(
  authenticator: Authenticator,
  resourceMetadataUrl: string,
): onRequestAsyncHookHandler {
  const hook = authHook<FastifyRequest>(authenticator, { resourceMetadataUrl });
  return async (request, reply) => {
    await hook(request, reply);
  };
}

/**
 * Header names the auth configuration reads credentials from besides the standard ones
 * (`extraction.headers`, the client certificate header): they never travel upstream.
 */
export function credentialHeaderNames(authenticator: Authenticator): string[] {
  const extract = authenticator.extractOptions;
  return [
    ...Object.values(extract.headers ?? {}).filter((h): h is string => typeof h === 'string'),
    ...(extract.clientCertificateHeader ? [extract.clientCertificateHeader.name] : []),
  ];
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
  const scope = required.join(' ').replace(/["\\]/g, '');
  return reply
    .code(403)
    .header(
      'www-authenticate',
      `Bearer error="insufficient_scope", scope="${scope}", resource_metadata="${resourceMetadataUrl}"`,
    )
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
