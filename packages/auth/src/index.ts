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
export {
  AuthResult,
  type AuthSuccess,
  type AuthFailure,
  type AuthResultConstructor,
  type AuthResultInit,
  type AuthSource,
} from './result.js';
export { TokenSet, type TokenSetInit } from './token-set.js';
export { httpStatusFor } from './http/http-status.js';
export { extractCredentials, type AuthRequest } from './extract/extract-credentials.js';
export {
  ExtractOptionsSchema,
  type ExtractOptions,
  type HeaderCredentialField,
} from './extract/extract-options.js';
export { parseXfcc, type XfccElement } from './extract/xfcc.js';

// The provider contract, chains and the registry.
export type { AuthProvider, ConfigValidation } from './provider.js';
export { BaseAuthProvider, type SuccessInit, type FailureInit } from './base-provider.js';
export { BaseProviderOptionsSchema, type BaseProviderOptions } from './provider-options.js';
export {
  ProviderChain,
  createProviderChain,
  type ChainMode,
  type ProviderChainOptions,
} from './chain/provider-chain.js';
export { ProviderRegistry } from './chain/provider-registry.js';
export { Authenticator, createAuthenticator, type AuthenticatorOptions } from './authenticator.js';

// Configuration files.
export { AuthConfigSchema, type AuthConfig, type ProviderConfig } from './config/auth-config.js';
export { AUTH_DEFAULTS } from './config/defaults.js';
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
} from './http/www-authenticate.js';

// Sessions.
export { AuthSessionSchema, type AuthSession } from './sessions/session-schema.js';
export type { SessionStore } from './sessions/session-store.js';
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
} from './sessions/memory-session-store.js';
export {
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from './sessions/redis-session-store.js';

// API keys.
export { ApiKeyProvider } from './api-key/api-key-provider.js';
export {
  ApiKeyProviderOptionsSchema,
  IssueApiKeyOptionsSchema,
  type ApiKeyProviderOptions,
  type IssueApiKeyOptions,
} from './api-key/api-key-options.js';
export {
  generateApiKey,
  parseApiKey,
  hashApiKey,
  verifyApiKey,
  isApiKeyHash,
  type ParsedApiKey,
  type GenerateApiKeyOptions,
} from './api-key/api-key-format.js';
export {
  ApiKeyPolicySchema,
  ApiKeyRecordSchema,
  type ApiKeyRecord,
  type ApiKeyPolicy,
} from './api-key/api-key-record.js';
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
export {
  isWithinAllowedHours,
  AllowedHoursSchema,
  type AllowedHours,
  type Weekday,
} from './policy/allowed-hours.js';

// JWT.
export { JwtProvider } from './jwt/jwt-provider.js';
export {
  JWT_ALGORITHMS,
  JwtProviderOptionsSchema,
  type JwtProviderOptions,
  type JwtAlgorithm,
} from './jwt/jwt-options.js';
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
export { IntrospectionProvider } from './oauth/introspection-provider.js';
export {
  IntrospectionProviderOptionsSchema,
  type IntrospectionProviderOptions,
} from './oauth/introspection-options.js';

// Basic.
export { BasicAuthProvider } from './basic/basic-provider.js';
export {
  BasicAuthProviderOptionsSchema,
  BasicUserSchema,
  type BasicAuthProviderOptions,
  type BasicUser,
} from './basic/basic-options.js';
export { hashPassword, verifyPassword, type HashPasswordOptions } from './basic/password-hash.js';

// mTLS.
export { MtlsProvider } from './mtls/mtls-provider.js';
export {
  MtlsProviderOptionsSchema,
  CertificateUserSchema,
  type MtlsProviderOptions,
  type CertificateUser,
} from './mtls/mtls-options.js';
export type { CertificateIdentitySource } from './mtls/certificate-identity.js';

// Trusted proxy header.
export { TrustedProxyProvider } from './proxy/trusted-proxy-provider.js';
export {
  TrustedProxyProviderOptionsSchema,
  type TrustedProxyProviderOptions,
} from './proxy/trusted-proxy-options.js';
