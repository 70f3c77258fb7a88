import type { PrivateJwk, SigningKey } from '@etdi/core';
import type { FastifyServerOptions } from 'fastify';
import type { RegistryStore } from './store/registry-store.js';

/** Rate limiting per client address (@fastify/rate-limit). */
export interface RateLimitOptions {
  /** Requests per window. */
  readonly max: number;
  readonly windowMs: number;
}

/** Options of {@link buildRegistry}. Defaults: {@link REGISTRY_DEFAULTS}. */
export interface RegistryOptions {
  /** Where everything is kept. `buildRegistry` migrates it when the app starts. */
  readonly store: RegistryStore;
  /** The registry's provider id: `iss` of its revocation lists and receipts. */
  readonly id: string;
  /** The registry's signing key (a private JWK as `etdi keygen` writes it, or imported). */
  readonly signingKey: SigningKey | PrivateJwk;
  /** Admin API keys (`keyId.secret`); only their hashes are kept. */
  readonly adminKeys?: readonly string[];
  /** Server-side secret mixed into API key hashes; keep it the same across restarts and nodes. */
  readonly apiKeyPepper?: string;
  /** Absolute base URL for links in `/.well-known/etdi-registry`. Default: from the request. */
  readonly publicUrl?: string;
  /** Largest request body. */
  readonly bodyLimitBytes?: number;
  /** Per client; `false` turns it off. */
  readonly rateLimit?: RateLimitOptions | false;
  /** Lifetime of a signed revocation list. */
  readonly revocationLifetimeSec?: number;
  /** In-process cache of published versions (immutable, so never stale). */
  readonly versionCache?: { readonly maxEntries: number; readonly maxBytes: number };
  /** Migrate the store when the app starts. */
  readonly migrate?: boolean;
  /** Close the store when the app closes. */
  readonly closeStore?: boolean;
  /** Fastify's logger option (pino options, or `true`); secrets are redacted. Default off. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Fastify's `trustProxy`, for client addresses (rate limits) behind a load balancer. */
  readonly trustProxy?: FastifyServerOptions['trustProxy'];
  /** Clock, epoch milliseconds; tests inject one instead of waiting. */
  readonly now?: () => number;
  /** Default Node process metrics in `/metrics`. */
  readonly processMetrics?: boolean;
}

/** The one defaults object of the registry's options. */
export const REGISTRY_DEFAULTS = Object.freeze({
  bodyLimitBytes: 1024 * 1024,
  rateLimit: Object.freeze({ max: 1000, windowMs: 60_000 }),
  revocationLifetimeSec: 3600,
  versionCache: Object.freeze({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 }),
  migrate: true,
  closeStore: true,
  processMetrics: true,
});
