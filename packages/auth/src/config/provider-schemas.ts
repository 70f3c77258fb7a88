import { compileSchema } from '@etdi/core';
import type { ValidateFunction } from 'ajv';
import { apiKeyPolicySchema } from '../api-key/api-key-schema.js';

const str = { type: 'string', minLength: 1 } as const;
const strings = { type: 'array', items: str } as const;
const stringOrStrings = { anyOf: [str, strings] } as const;
// `issuer` and `audience` of a JWT provider: required, `false` to opt out explicitly.
const acceptedOrFalse = {
  anyOf: [str, { ...strings, minItems: 1 }, { const: false }],
} as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;
const nonNegative = { type: 'number', minimum: 0 } as const;
const store = { enum: ['memory', 'redis'] } as const;

// Members every provider type accepts.
const common = {
  type: str,
  sessions: store,
  sessionTtlMs: positiveInt,
} as const;

function providerSchema(
  type: string,
  properties: Record<string, object>,
  required: readonly string[] = [],
): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['type', ...required],
    properties: { ...common, ...properties, type: { const: type } },
  };
}

const apiKeyRecordConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['keyId', 'hash', 'userId'],
  properties: {
    keyId: { type: 'string', pattern: '^[A-Za-z0-9_-]{4,64}$' },
    hash: { type: 'string', pattern: '^(sha256|hmac-sha256):[A-Za-z0-9_-]{43}$' },
    userId: str,
    projectId: str,
    name: { type: 'string' },
    scopes: strings,
    roles: strings,
    active: { type: 'boolean' },
    createdAt: { anyOf: [{ type: 'number' }, str] },
    expiresAt: { anyOf: [{ type: 'number' }, str] },
    policy: apiKeyPolicySchema,
  },
} as const;

/** JSON Schemas of each built-in provider type's configuration, by type name. */
export const PROVIDER_SCHEMAS = {
  apiKey: providerSchema('apiKey', {
    store,
    rateLimiter: store,
    pepper: str,
    credentialField: { enum: ['apiKey', 'gatewayKey'] },
    acceptBearer: { type: 'boolean' },
    requiredScopes: strings,
    defaultPolicy: apiKeyPolicySchema,
    keyPrefix: { type: 'string', pattern: '^[A-Za-z0-9_-]{0,32}$' },
    keys: { type: 'array', items: apiKeyRecordConfig },
  }),
  jwt: providerSchema(
    'jwt',
    {
      algorithms: { type: 'array', minItems: 1, items: str },
      jwksUrl: str,
      jwks: {
        type: 'object',
        required: ['keys'],
        properties: { keys: { type: 'array', items: { type: 'object' } } },
      },
      publicKey: {
        anyOf: [str, { type: 'object', required: ['kty'], properties: { kty: str } }],
      },
      publicKeyFile: str,
      secret: str,
      issuer: acceptedOrFalse,
      audience: acceptedOrFalse,
      requireExp: { type: 'boolean' },
      clockToleranceSec: nonNegative,
      maxTokenAgeSec: positiveInt,
      requiredClaims: strings,
      typ: str,
      revocations: store,
      userClaim: str,
      projectClaim: str,
      scopeClaim: str,
      rolesClaim: str,
      endpointsClaim: str,
      requiredScopes: strings,
      maxTokenLength: positiveInt,
      jwksCacheMaxAgeMs: positiveInt,
      jwksCooldownMs: { type: 'integer', minimum: 0 },
      jwksTimeoutMs: positiveInt,
      allowLoopbackHttp: { type: 'boolean' },
      method: { enum: ['jwt', 'bearer-token', 'oauth'] },
    },
    ['algorithms', 'issuer', 'audience'],
  ),
  oauth2: providerSchema(
    'oauth2',
    {
      introspectionEndpoint: str,
      userinfoEndpoint: str,
      tokenEndpoint: str,
      clientId: str,
      clientSecret: str,
      clientAuthMethod: { enum: ['client_secret_basic', 'client_secret_post'] },
      issuer: str,
      audience: stringOrStrings,
      requiredScopes: strings,
      cacheMaxTtlMs: { type: 'integer', minimum: 0 },
      maxCacheEntries: positiveInt,
      timeoutMs: positiveInt,
      maxTokenLength: positiveInt,
      negativeCacheTtlMs: { type: 'integer', minimum: 0 },
      allowLoopbackHttp: { type: 'boolean' },
    },
    ['clientId', 'clientSecret'],
  ),
  basic: providerSchema(
    'basic',
    {
      users: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'passwordHash'],
          properties: {
            username: str,
            passwordHash: str,
            userId: str,
            projectId: str,
            scopes: strings,
            roles: strings,
            active: { type: 'boolean' },
          },
        },
      },
      maxPasswordLength: positiveInt,
    },
    ['users'],
  ),
  mtls: providerSchema('mtls', {
    caCertificates: stringOrStrings,
    caFile: str,
    intermediates: stringOrStrings,
    intermediatesFile: str,
    pinnedFingerprints: strings,
    identity: { enum: ['cn', 'san-dns', 'san-email', 'san-uri'] },
    users: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { userId: str, projectId: str, scopes: strings, roles: strings },
      },
    },
    requireMapping: { type: 'boolean' },
    defaultScopes: strings,
    requireClientAuthUsage: { type: 'boolean' },
    trustedProxies: strings,
    maxChainLength: positiveInt,
  }),
  proxy: providerSchema('proxy', {
    clientAuthEnabled: { type: 'boolean' },
    trustProxyAuth: { type: 'boolean' },
    proxyUserHeader: { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" },
    proxyGroupsHeader: { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" },
    trustedProxies: strings,
    defaultScopes: strings,
  }),
} as const;

/** A built-in provider type. */
export type BuiltinProviderType = keyof typeof PROVIDER_SCHEMAS;

/** Compiled validators of {@link PROVIDER_SCHEMAS}. */
export const PROVIDER_VALIDATORS = Object.fromEntries(
  Object.entries(PROVIDER_SCHEMAS).map(([type, schema]) => [type, compileSchema(schema)]),
) as Record<BuiltinProviderType, ValidateFunction>;

/** Keys a provider type's configuration must have. */
export function requiredKeysOf(type: BuiltinProviderType): readonly string[] {
  return (PROVIDER_SCHEMAS[type] as { required: readonly string[] }).required;
}
