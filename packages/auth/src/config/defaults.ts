/**
 * Every default of `@etdi/auth`, in one place: what a provider, the extraction, the chain, the
 * stores and the Fastify hook use for an option left out, in code and in configuration
 * documents alike (durations in code units: `…Ms` milliseconds, `…Sec` seconds).
 */
export const AUTH_DEFAULTS = deepFreeze({
  /** Every provider. */
  provider: { sessionTtlMs: 3_600_000 },
  apiKey: {
    name: 'api-key',
    credentialField: 'apiKey' as 'apiKey' | 'gatewayKey',
    acceptBearer: false,
    keyPrefix: 'etdi_',
  },
  jwt: {
    name: 'jwt',
    method: 'jwt' as 'jwt' | 'bearer-token' | 'oauth',
    requireExp: true,
    clockToleranceSec: 0,
    userClaim: 'sub',
    rolesClaim: 'roles',
    endpointsClaim: 'allowed_endpoints',
    maxTokenLength: 8192,
    jwksCacheMaxAgeMs: 600_000,
    jwksCooldownMs: 30_000,
    jwksTimeoutMs: 5_000,
    /** When a JWKS refetch fails, the last good set is used this long past its age. */
    jwksStaleIfErrorMs: 3_600_000,
    /** Largest JWKS document accepted. */
    jwksMaxBytes: 512 * 1024,
    allowLoopbackHttp: false,
  },
  oauth2: {
    name: 'oauth2',
    clientAuthMethod: 'client_secret_basic' as 'client_secret_basic' | 'client_secret_post',
    cacheMaxTtlMs: 60_000,
    negativeCacheTtlMs: 30_000,
    maxCacheEntries: 10_000,
    timeoutMs: 5_000,
    maxTokenLength: 8192,
    /** Largest answer of the authorization server accepted. */
    maxResponseBytes: 256 * 1024,
    allowLoopbackHttp: false,
  },
  basic: {
    name: 'basic',
    maxPasswordLength: 1024,
    /** scrypt cost of `hashPassword`: N = 2^15 (about 32 MiB and tens of ms per hash), r 8, p 1. */
    passwordHash: { ln: 15, r: 8, p: 1 },
  },
  mtls: {
    name: 'mtls',
    identity: 'cn' as 'cn' | 'san-dns' | 'san-email' | 'san-uri',
    requireMapping: false,
    requireClientAuthUsage: true,
    maxChainLength: 5,
  },
  proxy: {
    name: 'proxy',
    clientAuthEnabled: true,
    trustProxyAuth: false,
    proxyUserHeader: 'X-Authenticated-User',
  },
  extraction: {
    headers: { apiKey: 'x-api-key' } as Readonly<Partial<Record<string, string>>>,
    maxCredentialLength: 8192,
    tlsClientCertificate: true,
    caseInsensitivePaths: false,
  },
  chain: { name: 'chain', mode: 'anyOf' as 'anyOf' | 'allOf' },
  /** Key prefix of every Redis store. */
  redis: { prefix: 'etdi:auth:' },
  memory: { maxSessions: 100_000, maxRateCounters: 100_000 },
  hook: { realm: 'etdi', allowAnonymous: true },
});

function deepFreeze<T extends object>(value: T): T {
  for (const member of Object.values(value)) {
    if (typeof member === 'object' && member !== null) deepFreeze(member);
  }
  return Object.freeze(value);
}
