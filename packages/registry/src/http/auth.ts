// The registry's whole authentication wiring: @etdi/auth API keys (publishers from the store,
// admins from start-up), the principal a request acts as, and the ownership rules. Kept in one
// file so that adopting @etdi/auth's Fastify plugin is a change here only.
import {
  ApiKeyProvider,
  createAuthenticator,
  hashApiKey,
  httpStatusFor,
  parseApiKey,
  wwwAuthenticate,
  type ApiKeyRecord,
  type AuthLogger,
  type Authenticator,
  type IssuedApiKey,
} from '@etdi/auth';
import type { Logger } from '@etdi/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../errors.js';
import { RegistryApiKeyStore } from '../store/registry-api-key-store.js';
import type { RegistryStore } from '../store/registry-store.js';
import type { RegistryMetrics } from './metrics.js';
import { problemOf, sendProblem } from './problem.js';

/** Who a request acts as. Admins act on every provider; a publisher on its own only. */
export type Principal =
  | { readonly role: 'admin'; readonly keyId: string }
  | { readonly role: 'publisher'; readonly iss: string; readonly keyId: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by {@link RegistryAuth.authenticate} on the routes that need a key. */
    principal: Principal | null;
  }
}

const ADMIN_ROLE = 'registry-admin';
const PUBLISHER_ROLE = 'registry-publisher';

/** Options of {@link RegistryAuth}. */
export interface RegistryAuthOptions {
  readonly store: RegistryStore;
  /** Admin API keys (`keyId.secret`); hashed at once, never kept. */
  readonly adminKeys: readonly string[];
  /** Server-side secret mixed into key hashes (HMAC); must stay the same across restarts. */
  readonly pepper?: string;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: RegistryMetrics;
}

// @etdi/auth's logger still takes (message, fields); the registry's is pino-ordered.
function authLogger(logger: Logger): AuthLogger {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
    isLevelEnabled: (level) => logger.isLevelEnabled?.(level) ?? true,
  };
}

function adminRecord(key: string, pepper: string | undefined, createdAt: number): ApiKeyRecord {
  const parsed = parseApiKey(key.trim());
  if (!parsed) {
    throw new RegistryError(
      'invalid-config',
      'The admin API key is not of the form keyId.secret (as @etdi/auth generates it)',
    );
  }
  return {
    keyId: parsed.keyId,
    hash: hashApiKey(key.trim(), pepper),
    userId: 'admin',
    scopes: [],
    roles: [ADMIN_ROLE],
    active: true,
    createdAt,
  };
}

/**
 * API key authentication for the registry: `Authorization: Bearer keyId.secret` (or
 * `X-API-Key`). Refusals are problem+json with @etdi/auth's failure code as `code` (401
 * `invalid-api-key`, `key-expired`, `key-inactive`, `no-credentials`; 503 when the store is
 * down) and a `WWW-Authenticate` challenge.
 */
export class RegistryAuth {
  readonly #provider: ApiKeyProvider;
  readonly #authenticator: Authenticator;
  readonly #metrics: RegistryMetrics;

  constructor(options: RegistryAuthOptions) {
    const admins = options.adminKeys.map((k) => adminRecord(k, options.pepper, options.now()));
    const logger = authLogger(options.logger);
    this.#provider = new ApiKeyProvider({
      store: new RegistryApiKeyStore(options.store, admins),
      acceptBearer: true,
      now: options.now,
      logger,
      ...(options.pepper === undefined ? {} : { pepper: options.pepper }),
    });
    this.#authenticator = createAuthenticator({ providers: [this.#provider], logger });
    this.#metrics = options.metrics;
  }

  /** A `preHandler` that requires a valid key and sets `request.principal`. */
  readonly authenticate = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> => {
    const result = await this.#authenticator.authenticateRequest(request);
    if (result.isSuccess) {
      const keyId = String(result.metadata.keyId ?? '');
      if (result.roles.includes(ADMIN_ROLE)) {
        request.principal = { role: 'admin', keyId };
        return undefined;
      }
      if (result.roles.includes(PUBLISHER_ROLE) && result.projectId !== undefined) {
        request.principal = { role: 'publisher', iss: result.projectId, keyId };
        return undefined;
      }
    }
    const status = result.isSuccess ? 403 : httpStatusFor(result.status);
    const code = result.isSuccess ? 'admin-required' : (result.error ?? 'internal-error');
    if (status === 401) {
      const challenges = wwwAuthenticate(result, { realm: 'etdi-registry' });
      reply.header('www-authenticate', challenges.length === 1 ? challenges[0]! : challenges);
    }
    this.#metrics.problem(code);
    return sendProblem(reply, problemOf(status, code, result.message));
  };

  /** Issues a publisher key for `iss`: the key is returned once, only its hash is stored. */
  issuePublisherKey(
    iss: string,
    options: { name?: string; expiresAt?: number },
  ): Promise<IssuedApiKey> {
    return this.#provider.issueKey({
      userId: `publisher:${iss}`,
      projectId: iss,
      roles: [PUBLISHER_ROLE],
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
    });
  }

  /** Deactivates a key (kept for audit): it then answers 401 `key-inactive`. */
  revokeKey(keyId: string): Promise<boolean> {
    return this.#provider.revokeKey(keyId);
  }
}

/** The principal of an authenticated request. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) {
    throw new RegistryError('internal-error', 'route reached without authentication');
  }
  return request.principal;
}

/** Throws `admin-required` (403) unless the request acts as an admin. */
export function requireAdmin(request: FastifyRequest): void {
  if (principalOf(request).role !== 'admin') {
    throw new RegistryError('admin-required', 'This operation needs an admin API key');
  }
}

/** Whether the request may act on provider `iss`. */
export function mayActFor(request: FastifyRequest, iss: string): boolean {
  const principal = principalOf(request);
  return principal.role === 'admin' || principal.iss === iss;
}

/** Throws `not-owner` (403) unless the request may act on provider `iss`. */
export function requireOwner(request: FastifyRequest, iss: string, pointer?: string): void {
  if (!mayActFor(request, iss)) {
    const principal = principalOf(request) as { iss: string };
    throw new RegistryError(
      'not-owner',
      `This API key acts for provider ${JSON.stringify(principal.iss)}, not ${JSON.stringify(iss)}`,
      pointer === undefined ? {} : { pointer },
    );
  }
}
