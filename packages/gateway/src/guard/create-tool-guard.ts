import { resolve } from 'node:path';
import {
  assertProviderId,
  compileSchema,
  formatIssues,
  inspectServerUrl,
  MemoryPinStore,
  parseDuration,
  pointerToken,
  redactingLogger,
  schemaIssues,
  silentLogger,
  type Logger,
  type PinStore,
} from '@etdi/core';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { GuardAdmin } from '../admin/guard-admin.js';
import { RedisPinStore } from '../pins/redis-pin-store.js';
import { RegistryTrust } from '../trust/registry-trust.js';
import { TrustSources, type TrustFile } from '../trust/trust-sources.js';
import {
  GUARD_DEFAULTS,
  PinsConfigSchema,
  TrustConfigSchema,
  UpstreamGuardSchema,
  type PinsConfig,
  type ToolGuardConfig,
  type TrustConfig,
  type UpstreamGuardConfig,
} from './config-schema.js';
import { GatewayError } from '../errors.js';
import { GuardMetrics } from './guard-metrics.js';
import type { CallDecision, GuardContext, ToolGuard } from './tool-guard.js';
import { VerifyingGuard, type UpstreamPolicy } from './verifying-guard.js';

/** Options of {@link createToolGuard}: what is not in the configuration document. */
export interface CreateToolGuardOptions {
  /** Directory relative paths of the document are resolved against (its own). Default cwd. */
  readonly baseDir?: string;
  /** Where audit records and trust events go (`app.log`). Default silent. */
  readonly logger?: Logger;
  /** prom-client registry to register the guard's metrics on. Default: not registered. */
  readonly metrics?: Registry;
  /**
   * A connected ioredis client for `pins.store: redis`; the caller owns it. Without it the guard
   * opens its own from `pins.redis.url` and closes it in `close()`.
   */
  readonly redis?: Redis;
  /** A pin store to use instead of `pins.store` (an SQL store, a test's store). */
  readonly pinStore?: PinStore;
  /** The clock, epoch milliseconds (tests drive time with it). Default `Date.now`. */
  readonly now?: () => number;
  /** How often trust files are polled besides being watched; 0 turns polling off. Default 5000. */
  readonly filePollIntervalMs?: number;
  /** Watch trust files with `fs.watch`. Default true. */
  readonly watchFiles?: boolean;
  /** Timeout of each registry request (headers, then body). Default 10000. */
  readonly registryTimeoutMs?: number;
}

/** The guard the gateway runs: the {@link ToolGuard} seam plus the admin surface. */
export interface GatewayToolGuard extends ToolGuard, GuardAdmin {
  /** Answered from memory, synchronously: no I/O on the call path. */
  checkCall(ctx: GuardContext, name: string): CallDecision;
  /**
   * Re-reads the trust files and refreshes the registry now, besides their schedules (watch,
   * poll, `refreshInterval`). Resolves to whether trust changed; never rejects.
   */
  refreshTrust(): Promise<boolean>;
}

function invalid(message: string, pointer: string): never {
  throw new GatewayError(
    'invalid-config',
    `Invalid gateway configuration: ${pointer}: ${message}`,
    { issues: [{ pointer, message }] },
  );
}

function validated<T>(schema: object, value: unknown, base: string): T {
  const validate = compileSchema<T>(schema);
  if (!validate(value)) {
    const issues = schemaIssues(validate.errors, base);
    throw new GatewayError(
      'invalid-config',
      formatIssues('Invalid gateway configuration', issues),
      { issues },
    );
  }
  return value;
}

function seconds(value: string, pointer: string): number {
  try {
    return parseDuration(value, pointer);
  } catch {
    invalid(`${JSON.stringify(value)} is not a duration; use e.g. 60s, 10m, 90d`, pointer);
  }
}

function upstreamPolicies(
  upstreams: Readonly<Record<string, UpstreamGuardConfig>>,
): Map<string, UpstreamPolicy> {
  const policies = new Map<string, UpstreamPolicy>();
  for (const [name, upstream] of Object.entries(upstreams ?? {})) {
    const base = `/upstreams/${pointerToken(name)}`;
    // Only the guard's members: the proxy validates the rest of the upstream object.
    const own = validated<UpstreamGuardConfig>(
      UpstreamGuardSchema,
      {
        ...(upstream?.mode === undefined ? {} : { mode: upstream.mode }),
        providers: upstream?.providers,
      },
      base,
    );
    for (const [i, iss] of own.providers.entries()) {
      try {
        assertProviderId(iss);
      } catch (e) {
        invalid((e as Error).message, `${base}/providers/${i}`);
      }
    }
    policies.set(name, { mode: own.mode ?? GUARD_DEFAULTS.mode, providers: own.providers });
  }
  return policies;
}

async function openPins(
  pins: PinsConfig,
  options: CreateToolGuardOptions,
  logger: Logger,
): Promise<{ store: PinStore; close: () => Promise<void> }> {
  const none = async () => {};
  if (options.pinStore) return { store: options.pinStore, close: none };
  if ((pins.store ?? GUARD_DEFAULTS.pins.store) === 'memory') {
    return { store: new MemoryPinStore(), close: none };
  }
  const prefix = pins.redis?.prefix ?? GUARD_DEFAULTS.pins.redis.prefix;
  if (options.redis)
    return { store: new RedisPinStore({ redis: options.redis, prefix }), close: none };
  if (!pins.redis?.url) invalid('pins.store is redis: set pins.redis.url', '/pins/redis/url');
  const redis = new Redis(pins.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  // ioredis reconnects by itself; its errors are worth a line, never an unhandled event.
  redis.on('error', (e: Error) => logger.warn({ error: e.message }, 'pin store Redis error'));
  try {
    await redis.connect();
  } catch (cause) {
    redis.disconnect();
    throw new GatewayError(
      'store-error',
      `Cannot connect to Redis for pins (/pins/redis/url): ${(cause as Error).message}`,
      { pointer: '/pins/redis/url', cause },
    );
  }
  return {
    store: new RedisPinStore({ redis, prefix }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * Builds the gateway's tool guard from the `trust`, `pins` and `upstreams` sections of the
 * configuration document: loads the trust files (a file that cannot be used is a start-up
 * error naming its member), opens the pin store, starts watching and refreshing. Throws
 * `GatewayError` (`invalid-config`, `trust-unavailable`, `store-error`) with the member's
 * JSON pointer.
 *
 * @example
 * const guard = await createToolGuard(
 *   { trust: { jwks: ['keys/acme.jwks.json'] }, upstreams: { files: { providers: ['com.acme'] } } },
 *   { baseDir: dirname(configFile), logger: app.log, metrics: registry },
 * );
 * const { text } = await guard.rewriteToolsList({ upstream: 'files' }, upstreamBody, undefined);
 */
export async function createToolGuard(
  config: ToolGuardConfig,
  options: CreateToolGuardOptions = {},
): Promise<GatewayToolGuard> {
  const trust = validated<TrustConfig>(TrustConfigSchema, config?.trust, '/trust');
  const pins = validated<PinsConfig>(PinsConfigSchema, config?.pins ?? {}, '/pins');
  const upstreams = upstreamPolicies(config?.upstreams);
  if ((trust.jwks ?? []).length === 0 && !trust.registry) {
    invalid(
      'no keys to trust: set trust.jwks (files) or trust.registry (a registry URL)',
      '/trust',
    );
  }
  if (trust.registry) {
    const url = inspectServerUrl(trust.registry.url, { allowLoopbackHttp: true });
    if (!url.ok) {
      invalid(
        `${JSON.stringify(trust.registry.url)} is not a usable registry URL (${url.problem}): use https, or http on a loopback host`,
        '/trust/registry/url',
      );
    }
  }
  const baseDir = options.baseDir ?? process.cwd();
  const files = (list: readonly string[] | undefined, base: string): TrustFile[] =>
    (list ?? []).map((p, i) => ({ path: resolve(baseDir, p), pointer: `${base}/${i}` }));
  const maxAgeSec = trust.maxAge === undefined ? undefined : seconds(trust.maxAge, '/trust/maxAge');
  const clockToleranceSec = seconds(
    trust.clockTolerance ?? GUARD_DEFAULTS.clockTolerance,
    '/trust/clockTolerance',
  );
  const logger = redactingLogger(options.logger ?? silentLogger);
  const metrics = new GuardMetrics(options.metrics);
  const now = options.now ?? Date.now;

  const registry = trust.registry
    ? new RegistryTrust({
        url: trust.registry.url,
        refreshIntervalSec: seconds(
          trust.registry.refreshInterval ?? GUARD_DEFAULTS.registry.refreshInterval,
          '/trust/registry/refreshInterval',
        ),
        maxStalenessSec: seconds(
          trust.registry.maxStaleness ?? GUARD_DEFAULTS.registry.maxStaleness,
          '/trust/registry/maxStaleness',
        ),
        clockToleranceSec,
        now,
        logger,
        metrics,
        ...(options.registryTimeoutMs === undefined
          ? {}
          : { timeoutMs: options.registryTimeoutMs }),
      })
    : undefined;
  const sources = await TrustSources.open({
    jwks: files(trust.jwks, '/trust/jwks'),
    signedTools: files(trust.signedTools, '/trust/signedTools'),
    remote: registry,
    logger,
    metrics,
    pollIntervalMs: options.filePollIntervalMs ?? 5000,
    watch: options.watchFiles ?? true,
  });
  let pinStore: Awaited<ReturnType<typeof openPins>>;
  try {
    pinStore = await openPins(pins, options, logger);
  } catch (e) {
    await sources.close();
    throw e;
  }
  const guard = new VerifyingGuard({
    upstreams,
    sources,
    registry,
    requireReceipt: trust.registry?.requireReceipt ?? GUARD_DEFAULTS.registry.requireReceipt,
    pins: pinStore.store,
    firstUse: pins.firstUse ?? GUARD_DEFAULTS.pins.firstUse,
    maxAgeSec,
    clockToleranceSec,
    logger,
    metrics,
    now,
    onClose: pinStore.close,
  });
  return guard;
}
