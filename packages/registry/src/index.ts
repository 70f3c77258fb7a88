// @etdi/registry: the signed tool-definition registry service. Every export is named.

export { buildRegistry } from './build-registry.js';
export { REGISTRY_DEFAULTS, type RegistryOptions, type RateLimitOptions } from './options.js';
export {
  RegistryError,
  REGISTRY_ERROR_CODES,
  isRegistryErrorCode,
  statusOfCode,
  type RegistryErrorCode,
  type RegistryErrorOptions,
} from './errors.js';
export { PROBLEM_TYPE, type Problem, type ProblemCode } from './http/problem.js';
export type { Principal } from './http/auth.js';

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
export { RegistryApiKeyStore } from './store/registry-api-key-store.js';

// Provider ids
export {
  foldProviderId,
  confusableSkeleton,
  providerIdentity,
  type ProviderIdentity,
} from './provider-id.js';

// Receipts
export { RECEIPT_TYPE, receiptSubject, type ReceiptClaims } from './service/receipt.js';

// The command line and its configuration file (the configuration reference is generated from them)
export {
  RegistryConfigSchema,
  CLI_DEFAULTS as REGISTRY_CLI_DEFAULTS,
  type RegistryConfig,
} from './cli/registry-config.js';
export {
  createRegistryProgram,
  type RegistryCliIo,
  type RegistryExitCode,
} from './cli/run-registry-cli.js';
