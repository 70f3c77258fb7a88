import { errorMessage, missingScopes } from '@etdi/core';
import {
  BaseAuthProvider,
  validateWithSchema,
  type BaseProviderOptions,
  type SuccessInit,
} from '../base-provider.js';
import { PROVIDER_VALIDATORS, requiredKeysOf } from '../config/provider-schemas.js';
import type { AuthCredentials } from '../credentials.js';
import { AuthError } from '../errors.js';
import type { ConfigValidation } from '../provider.js';
import type { AuthResult } from '../result.js';
import type { AuthSession } from '../sessions/session-store.js';
import type { AuthMethod } from '../status.js';
import { isWithinAllowedHours } from '../util/allowed-hours.js';
import { generateApiKey, hashApiKey, parseApiKey, verifyApiKey } from './api-key-format.js';
import { combinePolicies, compilePolicy, type CompiledPolicy } from './api-key-policy.js';
import type { ApiKeyPolicy, ApiKeyRecord } from './api-key-record.js';
import type { ApiKeyStore } from './api-key-store.js';
import { IssuedApiKey } from './issued-api-key.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';

/** Options of {@link ApiKeyProvider}. */
export interface ApiKeyProviderOptions extends BaseProviderOptions {
  /** Where records live. */
  store: ApiKeyStore;
  /** Where rate-limit counters live. Default: this process's memory. */
  rateLimiter?: RateLimiter;
  /** Server-side secret mixed into key hashes (HMAC-SHA-256). Must match the stored hashes. */
  pepper?: string | Buffer;
  /** Credential field the key is read from. Default `apiKey` (the `X-API-Key` header). */
  credentialField?: 'apiKey' | 'gatewayKey';
  /** Also accept a key sent as `Authorization: Bearer keyId.secret`. Default false. */
  acceptBearer?: boolean;
  /** Scopes every key must hold, e.g. `['mcp:call']`. */
  requiredScopes?: readonly string[];
  /**
   * Applies to every key. A key's own policy narrows it, never widens it: deny lists add up,
   * allow lists and allowed hours must all admit a request; the key's rate limit for a window
   * replaces the default's.
   */
  defaultPolicy?: ApiKeyPolicy;
  /** Prefix of generated key ids. Default `etdi_`. */
  keyPrefix?: string;
}

/** Options of {@link ApiKeyProvider.issueKey}. */
export interface IssueApiKeyOptions {
  userId: string;
  projectId?: string;
  name?: string;
  scopes?: readonly string[];
  roles?: readonly string[];
  /** Epoch milliseconds. */
  expiresAt?: number;
  policy?: ApiKeyPolicy;
}

const MAX_KEY_LENGTH = 512;

/**
 * API keys issued as `keyId.secret`. The store holds only a hash; a presented key is looked up
 * by its key id, hashed, and compared in constant time, so neither the time taken nor the
 * answer reveals how much of a wrong key was right. Each key carries scopes, an expiry, an
 * active flag and a policy: rate limits per minute/hour/day, IP allow and deny lists (CIDR,
 * IPv4 and IPv6), allowed and blocked endpoints, and allowed hours in a time zone.
 *
 * Checks run in this order and the first that fails decides: key form, key id and secret,
 * active, expiry, project, IP, endpoint, hours, scopes, then the rate limit (last, so refused
 * requests do not use up the budget).
 *
 * @example
 * const keys = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
 * const issued = await keys.issueKey({ userId: 'ci', scopes: ['tools:call'],
 *   policy: { rateLimits: { perMinute: 60 }, allowedIps: ['10.0.0.0/8'] } });
 * console.log(issued.reveal()); // show once
 */
export class ApiKeyProvider extends BaseAuthProvider {
  readonly version = '1.0.0';
  protected readonly method: AuthMethod = 'api-key';
  readonly #store: ApiKeyStore;
  readonly #rateLimiter: RateLimiter;
  readonly #pepper: string | Buffer | undefined;
  readonly #field: 'apiKey' | 'gatewayKey';
  readonly #acceptBearer: boolean;
  readonly #requiredScopes: readonly string[];
  readonly #keyPrefix: string | undefined;
  readonly #defaultPolicyCompiled: CompiledPolicy;
  // Compiled policies by their JSON text: records from Redis are new objects on every request.
  readonly #policies = new Map<string, CompiledPolicy>();
  readonly #policiesByObject = new WeakMap<ApiKeyPolicy, CompiledPolicy>();

  constructor(options: ApiKeyProviderOptions) {
    super('api-key', options);
    this.#store = options.store;
    this.#rateLimiter = options.rateLimiter ?? new MemoryRateLimiter();
    this.#pepper = options.pepper;
    this.#field = options.credentialField ?? 'apiKey';
    this.#acceptBearer = options.acceptBearer ?? false;
    this.#requiredScopes = options.requiredScopes ?? [];
    this.#keyPrefix = options.keyPrefix;
    // Fail at start-up, not at the first request, on a malformed default policy.
    this.#defaultPolicyCompiled = compilePolicy(options.defaultPolicy, '/defaultPolicy');
  }

  supportedMethods(): readonly AuthMethod[] {
    return ['api-key'];
  }

  /** Checks a `apiKey` configuration document (the JSON/YAML form). */
  validateConfig(config: unknown): ConfigValidation {
    return validateWithSchema(PROVIDER_VALIDATORS.apiKey, config);
  }

  requiredConfigKeys(): readonly string[] {
    return requiredKeysOf('apiKey');
  }

  /** Creates a key, stores its hash, and returns the key (to show once) with its record. */
  async issueKey(options: IssueApiKeyOptions): Promise<IssuedApiKey> {
    if (typeof options.userId !== 'string' || options.userId.length === 0) {
      throw new AuthError('invalid-argument', 'issueKey: "userId" must be a non-empty string');
    }
    try {
      compilePolicy(options.policy);
    } catch (error) {
      if (error instanceof AuthError) {
        throw new AuthError('invalid-argument', `issueKey: ${error.message}`, {
          cause: error,
          ...(error.pointer === undefined ? {} : { pointer: error.pointer }),
        });
      }
      throw error;
    }
    const key = generateApiKey(this.#keyPrefix === undefined ? {} : { prefix: this.#keyPrefix });
    const { keyId } = parseApiKey(key)!;
    const record: ApiKeyRecord = {
      keyId,
      hash: hashApiKey(key, this.#pepper),
      userId: options.userId,
      ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
      ...(options.name === undefined ? {} : { name: options.name }),
      scopes: [...(options.scopes ?? [])],
      ...(options.roles === undefined ? {} : { roles: [...options.roles] }),
      active: true,
      createdAt: this.now(),
      ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
      ...(options.policy === undefined ? {} : { policy: options.policy }),
    };
    await this.#store.put(record);
    this.logger.info({ provider: this.name, keyId, userId: record.userId }, 'API key issued');
    return new IssuedApiKey(key, record);
  }

  /** Deactivates a key (kept for audit); whether it existed. */
  async revokeKey(keyId: string): Promise<boolean> {
    const record = await this.#store.get(keyId);
    if (!record) return false;
    await this.#store.put({ ...record, active: false });
    this.logger.info({ provider: this.name, keyId }, 'API key revoked');
    return true;
  }

  #policyFor(record: ApiKeyRecord): CompiledPolicy {
    const own = record.policy;
    if (own === undefined) return this.#defaultPolicyCompiled;
    // A memory store hands out the same record object every time; Redis a new one per read.
    let compiled = this.#policiesByObject.get(own);
    if (compiled) return compiled;
    const cacheKey = JSON.stringify(own);
    compiled = this.#policies.get(cacheKey);
    if (!compiled) {
      compiled = combinePolicies(this.#defaultPolicyCompiled, compilePolicy(own));
      if (this.#policies.size >= 10_000) this.#policies.clear();
      this.#policies.set(cacheKey, compiled);
    }
    this.#policiesByObject.set(own, compiled);
    return compiled;
  }

  #presentedKey(credentials: AuthCredentials): string | undefined {
    const key = credentials[this.#field];
    if (key !== undefined) return key;
    const bearer = credentials.accessToken;
    // A JWT has two dots; an API key exactly one.
    if (this.#acceptBearer && bearer !== undefined && bearer.split('.').length === 2) return bearer;
    return undefined;
  }

  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    const key = this.#presentedKey(credentials);
    if (key === undefined) return this.noCredentials('No API key presented');
    if (key.length > MAX_KEY_LENGTH) {
      return this.failure(
        'invalid-credentials',
        'credential-too-large',
        `API key is longer than ${MAX_KEY_LENGTH} characters`,
      );
    }
    const parsed = parseApiKey(key);
    if (!parsed) {
      return this.failure(
        'invalid-credentials',
        'malformed-credentials',
        'API key is not of the form keyId.secret',
      );
    }
    let record: ApiKeyRecord | undefined;
    try {
      record = await this.#store.get(parsed.keyId);
    } catch (cause) {
      this.logger.error(
        {
          provider: this.name,
          error: errorMessage(cause),
        },
        'API key store unavailable',
      );
      return this.failure('error', 'store-unavailable', 'The API key store is unavailable');
    }
    // Hash and compare even for an unknown key id: both cases take the same time.
    const valid = verifyApiKey(key, record?.hash, this.#pepper);
    if (!record || !valid) {
      this.logger.debug(
        {
          provider: this.name,
          keyId: parsed.keyId,
          known: record !== undefined,
        },
        'API key rejected',
      );
      return this.failure('invalid-credentials', 'invalid-api-key', 'API key is not valid');
    }
    const meta: Record<string, unknown> = { keyId: record.keyId };
    if (record.name !== undefined) meta.name = record.name;
    if (!record.active) {
      return this.failure('invalid-credentials', 'key-inactive', 'API key has been deactivated', {
        metadata: meta,
      });
    }
    const now = this.now();
    if (record.expiresAt !== undefined && record.expiresAt <= now) {
      return this.failure(
        'expired',
        'key-expired',
        `API key expired at ${new Date(record.expiresAt).toISOString()}`,
        { metadata: meta },
      );
    }
    if (
      credentials.projectId !== undefined &&
      record.projectId !== undefined &&
      credentials.projectId !== record.projectId
    ) {
      return this.failure(
        'insufficient-permissions',
        'project-mismatch',
        `API key is bound to another project than "${credentials.projectId}"`,
        { metadata: meta },
      );
    }
    const policy = this.#policyFor(record);
    const denied = this.#checkPolicy(policy, credentials, now);
    if (denied) return denied.with({ metadata: meta });
    const missing = missingScopes(record.scopes, this.#requiredScopes);
    if (missing.length > 0) {
      return this.failure(
        'insufficient-permissions',
        'insufficient-scope',
        `API key lacks required scope(s): ${missing.join(', ')}`,
        { metadata: meta },
      );
    }
    if (policy.rateLimits.length > 0) {
      let decision;
      try {
        decision = await this.#rateLimiter.consume(record.keyId, policy.rateLimits, now);
      } catch (cause) {
        this.logger.error(
          {
            provider: this.name,
            error: errorMessage(cause),
          },
          'rate limiter unavailable',
        );
        return this.failure('error', 'store-unavailable', 'The rate limiter is unavailable');
      }
      if (!decision.allowed) {
        return this.failure(
          'rate-limited',
          'rate-limit-exceeded',
          `API key exceeded ${decision.limit} requests per ${decision.window}`,
          {
            retryAfterMs: decision.retryAfterMs,
            metadata: { ...meta, window: decision.window, limit: decision.limit },
          },
        );
      }
    }
    // Built member by member: this is the hot path (see base-provider.ts on object spread).
    const init: SuccessInit = {
      userId: record.userId,
      permissions: record.scopes,
      roles: record.roles ?? [],
      metadata: meta,
    };
    if (record.projectId !== undefined) init.projectId = record.projectId;
    if (record.expiresAt !== undefined) init.expiresAt = record.expiresAt;
    return this.success(init);
  }

  #checkPolicy(
    policy: CompiledPolicy,
    credentials: AuthCredentials,
    now: number,
  ): AuthResult | undefined {
    const { context } = credentials;
    const { remoteAddress, method, path } = context;
    if (policy.deniedIps.some((list) => list.matches(remoteAddress))) {
      return this.failure(
        'insufficient-permissions',
        'ip-not-allowed',
        `API key may not be used from ${remoteAddress}`,
      );
    }
    if (!policy.allowedIps.every((list) => list.matches(remoteAddress))) {
      return this.failure(
        'insufficient-permissions',
        'ip-not-allowed',
        remoteAddress === undefined
          ? 'API key is restricted to listed addresses and the peer address is unknown'
          : `API key may not be used from ${remoteAddress}`,
      );
    }
    if (policy.blockedEndpoints.some((list) => list.matchesAnyReading(context))) {
      return this.failure(
        'insufficient-permissions',
        'endpoint-not-allowed',
        `API key may not be used for ${method ?? ''} ${path ?? ''}`.replace(/ +/g, ' ').trim(),
      );
    }
    if (!policy.allowedEndpoints.every((list) => list.matchesEveryReading(context))) {
      return this.failure(
        'insufficient-permissions',
        'endpoint-not-allowed',
        `API key may not be used for ${method ?? ''} ${path ?? '(unknown path)'}`
          .replace(/ +/g, ' ')
          .trim(),
      );
    }
    const h = policy.allowedHours.find((hours) => !isWithinAllowedHours(hours, now));
    if (h) {
      return this.failure(
        'insufficient-permissions',
        'outside-allowed-hours',
        `API key may only be used ${h.start}–${h.end} (${h.timeZone})${h.days ? ` on ${h.days.join(', ')}` : ''}`,
      );
    }
    return undefined;
  }

  protected override sessionData(result: AuthResult): AuthSession['data'] {
    const keyId = result.metadata.keyId;
    return typeof keyId === 'string' ? { keyId } : undefined;
  }

  protected override async sessionStillValid(session: AuthSession): Promise<boolean> {
    const keyId = session.data?.keyId;
    if (typeof keyId !== 'string') return false;
    const record = await this.#store.get(keyId);
    return (
      record !== undefined &&
      record.active &&
      (record.expiresAt === undefined || record.expiresAt > this.now())
    );
  }
}
