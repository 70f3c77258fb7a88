import type { SigningKey } from '@etdi/core';
import type { PublishContext } from '../service/publish-tools.js';
import type { RevocationPublisher } from '../service/revocation-publisher.js';
import type { VersionCache } from '../service/version-cache.js';
import type { RegistryStore } from '../store/registry-store.js';
import type { RegistryAuth } from './auth.js';
import type { RegistryMetrics } from './metrics.js';

/** What the routes share: built once by `buildRegistry`. */
export interface RegistryContext extends PublishContext {
  readonly store: RegistryStore;
  readonly registryId: string;
  readonly signingKey: SigningKey;
  readonly revocations: RevocationPublisher;
  readonly versions: VersionCache;
  readonly auth: RegistryAuth;
  readonly metrics: RegistryMetrics;
  /** Absolute base URL for links (`jwks_uri`); from the request's Host when not configured. */
  readonly publicUrl: string | undefined;
  /** Set when the app starts closing: readiness fails and new requests get 503. */
  readonly closing: { value: boolean };
}
