// @etdi/oauth: the gateway's own upstream OAuth token service (issue 4). Every export is named.
export { createOAuthService } from './create-service.js';
export { OAuthService, type GetAccessTokenOptions } from './service.js';
export { type TokenRequestOptions } from './service/target.js';
export {
  type AuthorizationRequest,
  type AuthorizationUrlOptions,
  type AuthorizationCallback,
  type CompleteAuthorizationOptions,
} from './service/pending-authorizations.js';
export { type RevocationResult, type RevokedTokenType } from './service/revocation.js';
export { type OAuthServiceOptions, type RetryOptions } from './options.js';
export { AccessToken, type TokenResult } from './access-token.js';
export {
  OAuthError,
  OAUTH_ERROR_CODES,
  isOAuthErrorCode,
  type OAuthErrorCode,
  type OAuthErrorDetails,
} from './errors.js';
export {
  OAuthConfigSchema,
  MtlsConfigSchema,
  OAUTH_CONFIG_DEFAULTS,
  type OAuthConfig,
  type MtlsConfig,
  type OAuthVersion,
  type OAuthGrantType,
  type CodeChallengeMethod,
  type ScopeValidation,
} from './config/schema.js';
export { assertOAuthConfig } from './config/assert.js';
export { maskOAuthConfig } from './config/mask.js';
export { createPkcePair, type PkcePair } from './pkce.js';
export { computePkceChallenge } from './pkce-challenge.js';
export {
  injectToken,
  CREDENTIAL_HEADERS,
  CREDENTIAL_HEADER_PREFIXES,
  DEFAULT_STDIO_ENV,
  type TokenTarget,
  type HttpTokenTarget,
  type StdioTokenTarget,
  type UpstreamHeaders,
  type ProcessEnv,
  type InjectTokenOptions,
  type HttpInjectOptions,
  type StdioInjectOptions,
} from './inject.js';
export { OAuthMetrics, type OAuthMetricsSnapshot } from './metrics.js';
export {
  TokenCacheEntrySchema,
  RefreshTokenEntrySchema,
  type TokenCache,
  type TokenCacheEntry,
  type RefreshTokenEntry,
  type TokenEntries,
  type TokenKind,
} from './cache/types.js';
export { MemoryTokenCache, type MemoryTokenCacheOptions } from './cache/memory.js';
export { RedisTokenCache, type RedisTokenCacheOptions } from './cache/redis.js';
export { type TokenEncryptionKey } from './cache/encryption.js';
