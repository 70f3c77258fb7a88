// @etdi/oauth: the gateway's own upstream OAuth token service (issue 4). Every export is named.
export { createOAuthService } from './create-service.js';
export {
  OAuthService,
  type GetAccessTokenOptions,
  type TokenRequestOptions,
  type AuthorizationRequest,
  type AuthorizationUrlOptions,
  type AuthorizationCallback,
  type CompleteAuthorizationOptions,
  type RevocationResult,
  type RevokedTokenType,
} from './service.js';
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
  type OAuthConfig,
  type MtlsConfig,
  type OAuthVersion,
  type OAuthGrantType,
  type CodeChallengeMethod,
  type ScopeValidation,
} from './config/types.js';
export { assertOAuthConfig } from './config/assert.js';
export { OAUTH_CONFIG_SCHEMA } from './config/schema.js';
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
export { type TokenCache, type TokenCacheEntry, type RefreshTokenEntry } from './cache/types.js';
export { MemoryTokenCache, type MemoryTokenCacheOptions } from './cache/memory.js';
export { RedisTokenCache, type RedisTokenCacheOptions } from './cache/redis.js';
export { type TokenEncryptionKey } from './cache/encryption.js';
