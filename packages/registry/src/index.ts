// @etdi/registry: the signed tool-definition registry service. Every export is named.

export {
  RegistryError,
  REGISTRY_ERROR_CODES,
  isRegistryErrorCode,
  statusOfCode,
  type RegistryErrorCode,
  type RegistryErrorOptions,
} from './errors.js';

// Stores
export type {
  RegistryStore,
  ProviderRecord,
  CreateProviderResult,
  KeyRecord,
  KeyStatement,
  KeyOutcome,
  NarrowKey,
  AddKeysResult,
  ToolRecord,
  VersionRecord,
  NewToolRecord,
  PublishResult,
  StoredToolStatus,
  ListToolsQuery,
  ToolIdentity,
  RevocationSnapshot,
  AddRevocationResult,
} from './store/registry-store.js';
export {
  SqliteRegistryStore,
  type SqliteRegistryStoreOptions,
} from './store/sqlite-registry-store.js';
export {
  PostgresRegistryStore,
  type PostgresRegistryStoreOptions,
} from './store/postgres-registry-store.js';
export { openStore, type OpenStoreOptions } from './store/open-store.js';
export { MIGRATIONS, type Migration } from './store/migrations.js';

// Provider ids
export {
  foldProviderId,
  confusableSkeleton,
  providerIdentity,
  type ProviderIdentity,
} from './provider-id.js';
