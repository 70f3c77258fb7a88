// @etdi/auth: the AuthProvider framework and its providers. Every export is named. Loggers are
// @etdi/core's `Logger` (pino's order, `info(fields, message)`), so Fastify's `app.log` fits.

// Vocabulary: statuses, methods, failure codes, the error class.
export {
  AUTH_STATUSES,
  AUTH_METHODS,
  isAuthStatus,
  isAuthMethod,
  type AuthStatus,
  type AuthMethod,
} from './status.js';
export { AUTH_FAILURE_CODES, isAuthFailureCode, type AuthFailureCode } from './failure-codes.js';
export {
  AuthError,
  AUTH_ERROR_CODES,
  isAuthErrorCode,
  type AuthErrorCode,
  type AuthErrorOptions,
} from './errors.js';

// Credentials in, results out.
export {
  AuthCredentials,
  type AuthCredentialsInit,
  type AuthContext,
  type ClientCertificate,
  type CredentialIssue,
} from './credentials.js';
export { AuthResult, type AuthResultInit, type AuthSource } from './result.js';
export { TokenSet, type TokenSetInit } from './token-set.js';
export { httpStatusFor } from './http-status.js';
export {
  extractCredentials,
  type AuthRequest,
  type ExtractOptions,
  type HeaderCredentialField,
} from './extract/extract-credentials.js';
export { parseXfcc, type XfccElement } from './extract/xfcc.js';

// The provider contract, chains and the registry.
export type { AuthProvider, ConfigValidation } from './provider.js';
export {
  BaseAuthProvider,
  validateWithSchema,
  type BaseProviderOptions,
  type SuccessInit,
  type FailureInit,
} from './base-provider.js';
export {
  ProviderChain,
  createProviderChain,
  type ChainMode,
  type ProviderChainOptions,
} from './chain/provider-chain.js';
export { ProviderRegistry } from './chain/provider-registry.js';
export { Authenticator, createAuthenticator, type AuthenticatorOptions } from './authenticator.js';

// Configuration files.
export type { AuthConfig, ProviderConfig } from './config/auth-config.js';
export {
  validateAuthConfig,
  type ValidateAuthConfigOptions,
  type CustomTypeSchemas,
} from './config/validate-auth-config.js';
export { parseAuthConfig, loadAuthConfig, type ConfigFormat } from './config/load-auth-config.js';
export {
  buildAuthenticator,
  type BuildAuthenticatorOptions,
  type CustomProviderType,
  type ProviderBuildContext,
} from './config/build-authenticator.js';
export { PROVIDER_SCHEMAS, type BuiltinProviderType } from './config/provider-schemas.js';

// Fastify.
export { etdiAuth, type EtdiAuthOptions } from './fastify/etdi-auth-plugin.js';
export {
  authHook,
  type AuthHookHandler,
  type AuthHookOptions,
  type RequestAuthenticator,
} from './fastify/auth-hook.js';
export {
  wwwAuthenticate,
  type BearerChallenge,
  type WwwAuthenticateOptions,
} from './fastify/www-authenticate.js';

// Sessions.
export type { AuthSession, SessionStore } from './sessions/session-store.js';
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
} from './sessions/memory-session-store.js';
export {
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from './sessions/redis-session-store.js';

// API keys.
export {
  ApiKeyProvider,
  type ApiKeyProviderOptions,
  type IssueApiKeyOptions,
} from './api-key/api-key-provider.js';
export {
  generateApiKey,
  parseApiKey,
  hashApiKey,
  verifyApiKey,
  isApiKeyHash,
  type ParsedApiKey,
  type GenerateApiKeyOptions,
} from './api-key/api-key-format.js';
export type { ApiKeyRecord, ApiKeyPolicy } from './api-key/api-key-record.js';
export type { ApiKeyStore } from './api-key/api-key-store.js';
export { MemoryApiKeyStore } from './api-key/memory-api-key-store.js';
export { RedisApiKeyStore, type RedisApiKeyStoreOptions } from './api-key/redis-api-key-store.js';
export { IssuedApiKey } from './api-key/issued-api-key.js';
export {
  WINDOW_MS,
  type RateLimiter,
  type RateLimit,
  type RateWindow,
  type RateDecision,
} from './api-key/rate-limiter.js';
export { MemoryRateLimiter, type MemoryRateLimiterOptions } from './api-key/memory-rate-limiter.js';
export { RedisRateLimiter, type RedisRateLimiterOptions } from './api-key/redis-rate-limiter.js';
export { isWithinAllowedHours, type AllowedHours, type Weekday } from './util/allowed-hours.js';

// JWT.
export {
  JwtProvider,
  JWT_ALGORITHMS,
  type JwtProviderOptions,
  type JwtAlgorithm,
} from './jwt/jwt-provider.js';
export type { JtiRevocationStore } from './jwt/jti-revocation-store.js';
export {
  MemoryJtiRevocationStore,
  type MemoryJtiRevocationStoreOptions,
} from './jwt/memory-jti-revocation-store.js';
export {
  RedisJtiRevocationStore,
  type RedisJtiRevocationStoreOptions,
} from './jwt/redis-jti-revocation-store.js';

// OAuth2 introspection / userinfo.
export {
  IntrospectionProvider,
  type IntrospectionProviderOptions,
} from './oauth/introspection-provider.js';

// Basic.
export {
  BasicAuthProvider,
  type BasicAuthProviderOptions,
  type BasicUser,
} from './basic/basic-provider.js';
export { hashPassword, verifyPassword, type HashPasswordOptions } from './basic/password-hash.js';

// mTLS.
export {
  MtlsProvider,
  type MtlsProviderOptions,
  type CertificateUser,
} from './mtls/mtls-provider.js';
export type { CertificateIdentitySource } from './mtls/certificate-identity.js';

// Trusted proxy header.
export {
  TrustedProxyProvider,
  type TrustedProxyProviderOptions,
} from './proxy/trusted-proxy-provider.js';
