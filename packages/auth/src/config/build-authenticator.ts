import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  errorMessage,
  pointerToken,
  silentLogger,
  type Logger,
  type SchemaIssue,
} from '@etdi/core';
import { Redis } from 'ioredis';
import { MemoryApiKeyStore } from '../api-key/memory-api-key-store.js';
import { ApiKeyProvider } from '../api-key/api-key-provider.js';
import type { ApiKeyRecord } from '../api-key/api-key-record.js';
import type { ApiKeyStore } from '../api-key/api-key-store.js';
import { MemoryRateLimiter } from '../api-key/memory-rate-limiter.js';
import { RedisApiKeyStore } from '../api-key/redis-api-key-store.js';
import { RedisRateLimiter } from '../api-key/redis-rate-limiter.js';
import { Authenticator } from '../authenticator.js';
import type { BaseProviderOptions } from '../base-provider.js';
import { BasicAuthProvider } from '../basic/basic-provider.js';
import { createProviderChain } from '../chain/provider-chain.js';
import { ProviderRegistry } from '../chain/provider-registry.js';
import { AuthError } from '../errors.js';
import { JwtProvider, type JwtProviderOptions } from '../jwt/jwt-provider.js';
import { MemoryJtiRevocationStore } from '../jwt/memory-jti-revocation-store.js';
import { RedisJtiRevocationStore } from '../jwt/redis-jti-revocation-store.js';
import { MtlsProvider, type MtlsProviderOptions } from '../mtls/mtls-provider.js';
import {
  IntrospectionProvider,
  type IntrospectionProviderOptions,
} from '../oauth/introspection-provider.js';
import type { AuthProvider } from '../provider.js';
import {
  TrustedProxyProvider,
  type TrustedProxyProviderOptions,
} from '../proxy/trusted-proxy-provider.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import { RedisSessionStore } from '../sessions/redis-session-store.js';
import type { AuthConfig, ProviderConfig } from './auth-config.js';
import type { BasicAuthProviderOptions } from '../basic/basic-provider.js';
import type { ApiKeyProviderOptions } from '../api-key/api-key-provider.js';
import { validateAuthConfig } from './validate-auth-config.js';

/** What a custom provider factory gets besides its configuration. */
export interface ProviderBuildContext {
  readonly name: string;
  readonly logger: Logger;
  readonly now: () => number;
  /** The shared Redis client, when the configuration has one. */
  readonly redis: Redis | undefined;
  readonly redisPrefix: string;
  /** Directory relative file paths in the configuration are resolved against. */
  readonly baseDir: string;
}

/** A provider type of your own, usable in configuration files as `type: <name>`. */
export interface CustomProviderType {
  /** JSON Schema of the type's configuration (validated with the rest, at start-up). */
  readonly schema?: object;
  create(
    config: ProviderConfig,
    context: ProviderBuildContext,
  ): AuthProvider | Promise<AuthProvider>;
}

/** Options of {@link buildAuthenticator}. */
export interface BuildAuthenticatorOptions {
  logger?: Logger;
  /** Clock for every provider and store. Default `Date.now`. */
  now?: () => number;
  /** For JWKS and OAuth2 requests. Default global `fetch`. */
  fetch?: typeof fetch;
  /** Use this Redis client instead of connecting to `redis.url`; the caller closes it. */
  redis?: Redis;
  /** Directory relative file paths (`caFile`, `publicKeyFile`) are resolved against. */
  baseDir?: string;
  /** For `${env:NAME}` references. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Provider types of your own, by type name. */
  providerTypes?: Readonly<Record<string, CustomProviderType>>;
}

function date(value: unknown, pointer: string, issues: SchemaIssue[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(String(value));
  if (!Number.isFinite(ms)) {
    issues.push({
      pointer,
      message: `"${String(value)}" is not a date (ISO 8601) or epoch milliseconds`,
    });
    return undefined;
  }
  return ms;
}

function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

// Re-raises a provider's configuration error at its place in the whole document; anything else
// than an AuthError (a custom factory's bug, say) is an internal error, located the same way.
function located(error: unknown, base: string): AuthError {
  if (!(error instanceof AuthError)) {
    return new AuthError(
      'internal-error',
      `${base}: the provider failed to build: ${errorMessage(error)}`,
      {
        cause: error,
        pointer: base,
      },
    );
  }
  if (error.code !== 'invalid-config') return error;
  const pointer = `${base}${error.pointer ?? ''}`;
  const issues = (
    error.issues.length > 0 ? error.issues : [{ pointer: '', message: error.message }]
  ).map((i) => ({ pointer: `${base}${i.pointer}`, message: i.message }));
  return new AuthError(
    'invalid-config',
    `invalid auth configuration: ${pointer}: ${error.message}`,
    {
      cause: error,
      pointer,
      issues,
    },
  );
}

/**
 * Builds the providers, the registry and the chain a configuration describes, connecting to
 * Redis when a store needs it. Everything that can be wrong is wrong here, at start-up: the
 * document (see `validateAuthConfig`), provider options that only make sense together (an HS*
 * algorithm with a public key, `trustProxyAuth` without proxy addresses), unreadable files,
 * an unreachable Redis.
 *
 * @example
 * const auth = await buildAuthenticator(await loadAuthConfig('auth.yaml'));
 * await app.register(etdiAuth, { authenticator: auth });
 */
export async function buildAuthenticator(
  document: unknown,
  options: BuildAuthenticatorOptions = {},
): Promise<Authenticator> {
  const customTypes = options.providerTypes ?? {};
  const config: AuthConfig = validateAuthConfig(document, {
    ...(options.env === undefined ? {} : { env: options.env }),
    customTypes: Object.fromEntries(Object.entries(customTypes).map(([k, v]) => [k, v.schema])),
  });
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const baseDir = options.baseDir ?? process.cwd();
  const prefix = config.redis?.prefix ?? 'etdi:auth:';
  const usesRedis = Object.values(config.providers).some((p) =>
    ['store', 'rateLimiter', 'revocations', 'sessions'].some((k) => p[k] === 'redis'),
  );

  let redis = options.redis;
  let ownedRedis: Redis | undefined;
  if (!redis && usesRedis && config.redis) {
    ownedRedis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    // Without a listener ioredis prints unhandled errors; the providers report failures.
    ownedRedis.on('error', () => {});
    try {
      await ownedRedis.connect();
    } catch (cause) {
      ownedRedis.disconnect();
      throw new AuthError(
        'store-error',
        `cannot connect to Redis at ${maskUrl(config.redis.url)}`,
        {
          cause,
          pointer: '/redis/url',
        },
      );
    }
    redis = ownedRedis;
  }

  const readFile = (path: string, pointer: string): string => {
    try {
      return readFileSync(resolve(baseDir, path), 'utf8');
    } catch (cause) {
      throw new AuthError('invalid-config', `${pointer}: cannot read "${path}"`, {
        cause,
        pointer,
      });
    }
  };

  const registry = new ProviderRegistry();
  try {
    for (const [name, provider] of Object.entries(config.providers)) {
      const base = `/providers/${pointerToken(name)}`;
      try {
        registry.register(
          await buildProvider(name, provider, {
            logger,
            now,
            redis,
            prefix,
            baseDir,
            readFile,
            fetch: options.fetch,
            customTypes,
          }),
        );
      } catch (error) {
        throw located(error, base);
      }
    }
  } catch (error) {
    await Promise.all(registry.list().map((p) => p.close?.()));
    ownedRedis?.disconnect();
    throw error;
  }

  const names = config.chain?.providers ?? registry.names();
  const chain = createProviderChain({
    name: config.chain?.name ?? 'chain',
    mode: config.chain?.mode ?? 'anyOf',
    providers: registry.pick(names),
    logger,
  });
  return new Authenticator({
    chain,
    registry,
    ...(config.extraction === undefined ? {} : { extract: config.extraction }),
    logger,
    onClose: async () => {
      // Providers outside the chain are closed too: the authenticator built them all.
      await Promise.all(
        registry
          .list()
          .filter((p) => !names.includes(p.name))
          .map((p) => p.close?.()),
      );
      if (ownedRedis) await ownedRedis.quit();
    },
  });
}

interface BuildContext {
  logger: Logger;
  now: () => number;
  redis: Redis | undefined;
  prefix: string;
  baseDir: string;
  readFile: (path: string, pointer: string) => string;
  fetch: typeof fetch | undefined;
  customTypes: Readonly<Record<string, CustomProviderType>>;
}

async function buildProvider(
  name: string,
  config: ProviderConfig,
  ctx: BuildContext,
): Promise<AuthProvider> {
  const { type, sessions, sessionTtlMs, ...rest } = config as ProviderConfig & {
    sessions?: 'memory' | 'redis';
    sessionTtlMs?: number;
  };
  const redis = () => {
    // validateAuthConfig guarantees a Redis configuration whenever a store asks for one.
    if (!ctx.redis)
      throw new AuthError('invalid-config', 'a Redis store needs "redis.url"', { pointer: '' });
    return ctx.redis;
  };
  const common: BaseProviderOptions = {
    name,
    logger: ctx.logger,
    now: ctx.now,
    ...(sessionTtlMs === undefined ? {} : { sessionTtlMs }),
    ...(sessions === 'memory' ? { sessions: new MemorySessionStore({ now: ctx.now }) } : {}),
    ...(sessions === 'redis'
      ? { sessions: new RedisSessionStore({ redis: redis(), prefix: ctx.prefix, now: ctx.now }) }
      : {}),
  };
  const fetchOption = ctx.fetch === undefined ? {} : { fetch: ctx.fetch };

  switch (type) {
    case 'apiKey': {
      const { store, rateLimiter, keys, ...options } = rest as Omit<
        ApiKeyProviderOptions,
        'store' | 'rateLimiter'
      > & {
        store?: 'memory' | 'redis';
        rateLimiter?: 'memory' | 'redis';
        keys?: (Omit<ApiKeyRecord, 'createdAt' | 'expiresAt' | 'active' | 'scopes'> & {
          createdAt?: number | string;
          expiresAt?: number | string;
          active?: boolean;
          scopes?: string[];
        })[];
      };
      const issues: SchemaIssue[] = [];
      const records: ApiKeyRecord[] = (keys ?? []).map((key, i) => {
        const createdAt = date(key.createdAt, `/keys/${i}/createdAt`, issues) ?? ctx.now();
        const expiresAt = date(key.expiresAt, `/keys/${i}/expiresAt`, issues);
        const { createdAt: _c, expiresAt: _e, ...record } = key;
        return {
          ...record,
          scopes: key.scopes ?? [],
          active: key.active ?? true,
          createdAt,
          ...(expiresAt === undefined ? {} : { expiresAt }),
        };
      });
      if (issues.length > 0) {
        throw new AuthError(
          'invalid-config',
          issues.map((i) => `${i.pointer}: ${i.message}`).join('; '),
          {
            issues,
          },
        );
      }
      let keyStore: ApiKeyStore;
      if (store === 'redis') {
        keyStore = new RedisApiKeyStore({ redis: redis(), prefix: ctx.prefix });
        // Keys from the file are added when missing; a key changed in Redis (deactivated, say)
        // is never silently restored by a restart.
        for (const record of records) {
          if (!(await keyStore.get(record.keyId))) await keyStore.put(record);
        }
      } else {
        keyStore = new MemoryApiKeyStore(records);
      }
      const limiterKind = rateLimiter ?? store ?? 'memory';
      const limiter =
        limiterKind === 'redis'
          ? new RedisRateLimiter({ redis: redis(), prefix: ctx.prefix })
          : new MemoryRateLimiter();
      return new ApiKeyProvider({ ...common, ...options, store: keyStore, rateLimiter: limiter });
    }
    case 'jwt': {
      const { revocations, publicKeyFile, ...options } = rest as Omit<
        JwtProviderOptions,
        'revocations'
      > & {
        revocations?: 'memory' | 'redis';
        publicKeyFile?: string;
      };
      return new JwtProvider({
        ...common,
        ...options,
        ...fetchOption,
        ...(publicKeyFile === undefined
          ? {}
          : { publicKey: ctx.readFile(publicKeyFile, '/publicKeyFile') }),
        ...(revocations === 'redis'
          ? {
              revocations: new RedisJtiRevocationStore({
                redis: redis(),
                prefix: ctx.prefix,
                now: ctx.now,
              }),
            }
          : {}),
        ...(revocations === 'memory'
          ? { revocations: new MemoryJtiRevocationStore({ now: ctx.now }) }
          : {}),
      });
    }
    case 'oauth2':
      return new IntrospectionProvider({
        ...common,
        ...(rest as unknown as IntrospectionProviderOptions),
        ...fetchOption,
      });
    case 'basic':
      return new BasicAuthProvider({ ...common, ...(rest as unknown as BasicAuthProviderOptions) });
    case 'mtls': {
      const { caFile, intermediatesFile, ...options } = rest as Partial<MtlsProviderOptions> & {
        caFile?: string;
        intermediatesFile?: string;
      };
      if ((caFile === undefined) === (options.caCertificates === undefined)) {
        throw new AuthError('invalid-config', 'give exactly one of "caCertificates" and "caFile"', {
          pointer: '/caFile',
        });
      }
      return new MtlsProvider({
        ...common,
        ...options,
        caCertificates:
          caFile === undefined ? options.caCertificates! : ctx.readFile(caFile, '/caFile'),
        ...(intermediatesFile === undefined
          ? {}
          : { intermediates: ctx.readFile(intermediatesFile, '/intermediatesFile') }),
      });
    }
    case 'proxy':
      return new TrustedProxyProvider({ ...common, ...(rest as TrustedProxyProviderOptions) });
    default: {
      const custom = ctx.customTypes[type];
      if (!custom) throw new AuthError('unknown-provider-type', `unknown provider type "${type}"`);
      return custom.create(config, {
        name,
        logger: ctx.logger,
        now: ctx.now,
        redis: ctx.redis,
        redisPrefix: ctx.prefix,
        baseDir: ctx.baseDir,
      });
    }
  }
}
