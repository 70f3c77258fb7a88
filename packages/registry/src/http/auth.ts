// The registry's whole authentication wiring: @etdi/auth API keys (publishers from the store,
// admins from start-up) behind @etdi/auth's Fastify plugin, the principal a request acts as,
// and the ownership rules.
import {
  ApiKeyProvider,
  createAuthenticator,
  etdiAuth,
  hashApiKey,
  parseApiKey,
  type ApiKeyRecord,
  type Authenticator,
  type IssuedApiKey,
} from '@etdi/auth';
import type { Logger } from '@etdi/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RegistryError } from '../errors.js';
import { RegistryApiKeyStore } from '../store/registry-api-key-store.js';
import type { RegistryStore } from '../store/registry-store.js';

/** Who a request acts as. Admins act on every provider; a publisher on its own only. */
export type Principal =
  | { readonly role: 'admin'; readonly keyId: string }
  | { readonly role: 'publisher'; readonly iss: string; readonly keyId: string };

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
 * `X-API-Key`), through @etdi/auth's `etdiAuth` plugin on the routes that name
 * `app.requireAuth`. Refusals are @etdi/auth's problem+json with its failure code as `code` (401
 * `invalid-api-key`, `key-expired`, `key-inactive`, `no-credentials`; 503 when the store is
 * down) and a `WWW-Authenticate` challenge.
 */
export class RegistryAuth {
  readonly #provider: ApiKeyProvider;
  readonly #authenticator: Authenticator;

  constructor(options: RegistryAuthOptions) {
    const admins = options.adminKeys.map((k) => adminRecord(k, options.pepper, options.now()));
    this.#provider = new ApiKeyProvider({
      store: new RegistryApiKeyStore(options.store, admins),
      acceptBearer: true,
      now: options.now,
      logger: options.logger,
      ...(options.pepper === undefined ? {} : { pepper: options.pepper }),
    });
    this.#authenticator = createAuthenticator({
      providers: [this.#provider],
      logger: options.logger,
    });
  }

  /** Registers `etdiAuth`: `request.auth`, and `app.requireAuth` for the routes that need a key. */
  async register(app: FastifyInstance): Promise<void> {
    await app.register(etdiAuth, {
      authenticator: this.#authenticator,
      global: false,
      realm: 'etdi-registry',
    });
  }

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

/** The principal of a request that passed `app.requireAuth`. */
export function principalOf(request: FastifyRequest): Principal {
  const auth = request.auth;
  const keyId = String(auth?.metadata.keyId ?? '');
  if (auth?.ok && auth.roles.includes(ADMIN_ROLE)) return { role: 'admin', keyId };
  if (auth?.ok && auth.roles.includes(PUBLISHER_ROLE) && auth.projectId !== undefined) {
    return { role: 'publisher', iss: auth.projectId, keyId };
  }
  throw new RegistryError('internal-error', 'route reached without a registry API key');
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
