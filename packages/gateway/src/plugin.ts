import type { Authenticator } from '@etdi/auth';
import { redactingLogger, type Logger } from '@etdi/core';
import type { OAuthService } from '@etdi/oauth';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { createAggregateEndpoint } from './aggregate/create-aggregate.js';
import { UpstreamAccess, upstreamAccessHook } from './http/upstream-access.js';
import { GATEWAY_DEFAULTS } from './config/defaults.js';
import type { GatewayConfig } from './config/gateway-config.js';
import { GatewayError } from './errors.js';
import { adminRoutes } from './admin/admin-routes.js';
import type { GuardAdmin } from './admin/guard-admin.js';
import { createToolGuard } from './guard/create-tool-guard.js';
import type { ToolGuard } from './guard/tool-guard.js';
import {
  authenticate,
  createGatewayAuthenticator,
  credentialHeaderNames,
  missingScopesOf,
  refuseInsufficientScope,
} from './http/gateway-auth.js';
import { hostOriginCheck } from './http/host-origin.js';
import { protectedResourceMetadata, resourceMetadataPath } from './http/well-known.js';
import { GatewayMetrics } from './metrics.js';
import { jsonRpcError, JSON_RPC } from './proxy/json-rpc.js';
import { McpProxy } from './proxy/mcp-proxy.js';
import { createUpstreamRpc } from './stateless/create-upstream-rpc.js';
import { GATEWAY_VERSION } from './version.js';
import { EraBridge } from './stateless/era-bridge.js';
import { ToolListPrefetch } from './stateless/tool-list-prefetch.js';
import { MemorySessionBindings } from './sessions/memory-session-bindings.js';
import { RedisSessionBindings } from './sessions/redis-session-bindings.js';
import type { SessionBindingStore } from './sessions/session-bindings.js';
import { HttpUpstream } from './upstream/http-upstream.js';
import { StdioMetrics } from './upstream/stdio-metrics.js';
import { StdioUpstream } from './upstream/stdio-upstream.js';
import type { Upstream } from './upstream/upstream.js';
import {
  HeaderPolicy,
  UpstreamCredentials,
  upstreamOAuthService,
} from './upstream/upstream-headers.js';

/** The scope the admin API requires. */
export const ADMIN_SCOPE = 'etdi:admin';

/** Options of {@link etdiGateway}. */
export interface EtdiGatewayOptions {
  /** A validated configuration (`validateGatewayConfig`, `loadGatewayConfig`). */
  readonly config: GatewayConfig;
  /**
   * The tool guard every upstream goes through. Default: `createToolGuard` from the document's
   * `trust`, `pins` and upstreams. The plugin closes it with the app.
   */
  readonly guard?: ToolGuard;
  /**
   * Admin routes of your own for a guard of your own, mounted at `/admin` behind the auth chain
   * and `etdi:admin`. Default: the guard's admin API when the guard has one.
   */
  readonly adminRoutes?: FastifyPluginAsync<{ guard: ToolGuard }>;
  /** Default: built from the configuration's `auth` document (and closed with the app). */
  readonly authenticator?: Authenticator;
  /** Default: one service for every upstream with `oauth` (closed with the app). */
  readonly oauth?: OAuthService;
  /** Default: a client for `sessions.redis` when the store is Redis (closed with the app). */
  readonly redis?: Redis;
  /** Default: the app's logger. */
  readonly logger?: Logger;
  /** Default: a new registry (the guard registers its metrics on the same one). */
  readonly metrics?: GatewayMetrics;
  /**
   * Transports of your own by upstream name; the others are HTTP upstreams (`url`) or stdio
   * upstreams (`command`).
   */
  readonly upstreams?: ReadonlyMap<string, Upstream>;
  /** For `${env:…}` in the auth document. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What the plugin exposes on the instance as `app.etdiGateway`. */
export interface GatewayState {
  readonly config: GatewayConfig;
  readonly guard: ToolGuard;
  readonly metrics: GatewayMetrics;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly sessions: SessionBindingStore;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The gateway's parts, once the plugin is registered; null before. */
    etdiGateway: GatewayState | null;
  }
}

async function gatewayPlugin(app: FastifyInstance, options: EtdiGatewayOptions): Promise<void> {
  const { config } = options;
  const logger = redactingLogger(options.logger ?? (app.log as unknown as Logger));
  const metrics = options.metrics ?? new GatewayMetrics();
  const closers: (() => Promise<unknown>)[] = [];
  app.addHook('onClose', async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        logger.warn(
          { error: error instanceof Error ? error.message : String(error) },
          'close failed',
        );
      }
    }
  });
  let redis = options.redis;
  if (!redis && config.sessions.store === 'redis' && config.sessions.redis) {
    const client = new Redis(config.sessions.redis.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
    });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (cause) {
      client.disconnect();
      throw new GatewayError('store-error', 'cannot connect to the sessions Redis', {
        cause,
        pointer: '/sessions/redis/url',
      });
    }
    closers.push(() => client.quit());
    redis = client;
  }
  const guard = options.guard ?? (await openGuard(config, logger, metrics, redis));
  closers.push(() => guard.close());

  const sessions: SessionBindingStore =
    config.sessions.store === 'redis' && redis
      ? new RedisSessionBindings({
          redis,
          prefix: config.sessions.redis?.prefix,
          ttlSec: config.sessions.ttlSec,
          maxPerPrincipal: config.sessions.maxPerPrincipal,
        })
      : new MemorySessionBindings({
          ttlSec: config.sessions.ttlSec,
          maxPerPrincipal: config.sessions.maxPerPrincipal,
        });
  closers.push(() => sessions.close());

  let authenticator = options.authenticator;
  if (!authenticator) {
    authenticator = await createGatewayAuthenticator(config.document.auth, {
      logger,
      baseDir: config.baseDir,
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    const built = authenticator;
    closers.push(() => built.close());
  }

  let oauth = options.oauth;
  if (!oauth) {
    const service = upstreamOAuthService(config, logger);
    if (service) closers.push(() => service.close());
    oauth = service;
  }

  const credentialHeaders = credentialHeaderNames(authenticator);
  const headerPolicy = new HeaderPolicy(credentialHeaders);
  const upstreams = new Map<string, Upstream>();
  for (const upstream of config.upstreams.values()) {
    const custom = options.upstreams?.get(upstream.name);
    const transport =
      custom ??
      (upstream.stdio
        ? new StdioUpstream({
            config: upstream,
            logger,
            sessionTtlMs: config.sessions.ttlSec * 1000,
            metrics: StdioMetrics.on(metrics.registry),
            ...(oauth ? { oauth } : {}),
          })
        : new HttpUpstream({
            config: upstream,
            credentials: new UpstreamCredentials(upstream, oauth, credentialHeaders),
          }));
    upstreams.set(upstream.name, transport);
    closers.push(() => transport.close());
  }

  const rpc = createUpstreamRpc(config, upstreams, guard, logger);
  closers.push(() => rpc.close());
  const prefetch = new ToolListPrefetch({ rpc, guard, logger });

  app.decorate('etdiGateway', null);
  app.etdiGateway = { config, guard, metrics, upstreams, sessions };
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);

  const origin = config.publicUrl.origin;
  const rootMetadataUrl = `${origin}${resourceMetadataPath('/')}`;
  const refuse = (request: FastifyRequest, reply: FastifyReply, what: 'host' | 'origin') => {
    logger.warn(
      { what, host: request.headers.host, origin: request.headers.origin },
      'refused: DNS rebinding check',
    );
    void reply
      .code(403)
      .type('application/json')
      .send(jsonRpcError(null, JSON_RPC.forbidden, `Forbidden: ${what} not allowed`));
  };
  const hostCheck = hostOriginCheck({
    publicUrl: config.publicUrl,
    allowedOrigins: config.allowedOrigins,
    refuse,
  });

  // Health, readiness, metrics: for the platform, no credentials.
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const trust = guard.readiness();
    let store: { ok: boolean; detail?: string } = { ok: true };
    if (redis) {
      try {
        await redis.ping();
      } catch {
        store = { ok: false, detail: 'Redis is unreachable' };
      }
    }
    const ready = trust.ok && store.ok;
    return reply.code(ready ? 200 : 503).send({ ready, trust, redis: redis ? store : undefined });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  // RFC 9728: where clients learn which authorization servers issue tokens for each resource.
  const resourceOptions = {
    authorizationServers: config.document.resourceMetadata?.authorizationServers,
    scopesSupported: config.document.resourceMetadata?.scopesSupported,
  };
  app.get(resourceMetadataPath('/'), async () =>
    protectedResourceMetadata(origin, resourceOptions),
  );

  // The MCP endpoints, in a context of their own: bodies are read as bytes (the proxy forwards
  // them as they are), errors are JSON-RPC.
  await app.register(async (mcp) => {
    mcp.removeAllContentTypeParsers();
    mcp.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: config.maxRequestBytes },
      (_req, body, done) => done(null, body),
    );
    mcp.setErrorHandler(
      (error: { statusCode?: number; code?: string; message: string }, request, reply) => {
        const status =
          error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
        if (status >= 500)
          logger.error({ error: error.message, url: request.url }, 'MCP route failed');
        const message =
          status === 413
            ? `Request too large: the limit is ${config.maxRequestBytes} bytes`
            : status >= 500
              ? 'Internal error'
              : error.message;
        void reply
          .code(status)
          .type('application/json')
          .send(
            jsonRpcError(null, status >= 500 ? -32603 : JSON_RPC.invalidRequest, message, {
              reason: error.code,
            }),
          );
      },
    );
    const access = UpstreamAccess.of(config);
    for (const [name, upstream] of upstreams) {
      const path = `/servers/${name}/mcp`;
      const metadataUrl = `${origin}${resourceMetadataPath(path)}`;
      const proxy = new McpProxy({
        upstream,
        guard,
        sessions,
        headers: headerPolicy,
        metrics,
        logger,
        resourceMetadataUrl: metadataUrl,
        maxResponseBytes: GATEWAY_DEFAULTS.maxResponseBytes,
        maxEventBytes: GATEWAY_DEFAULTS.maxEventBytes,
        bridge: new EraBridge({
          upstream: name,
          rpc,
          guard,
          sessions,
          metrics,
          logger,
          resourceMetadataUrl: metadataUrl,
          prefetch,
        }),
        prefetch,
      });
      app.get(resourceMetadataPath(path), async () =>
        protectedResourceMetadata(`${origin}${path}`, resourceOptions),
      );
      mcp.route({
        method: ['POST', 'GET', 'DELETE'],
        url: path,
        onRequest: [
          hostCheck,
          authenticate(authenticator, () => metadataUrl),
          upstreamAccessHook(access, name, metadataUrl, (reason) => metrics.refusal(name, reason)),
        ],
        handler: (request, reply) => proxy.handle(request, reply),
      });
    }

    // /mcp: every upstream behind one endpoint, through the same guard and auth chain.
    const aggregatePath = '/mcp';
    const aggregateMetadataUrl = `${origin}${resourceMetadataPath(aggregatePath)}`;
    const aggregate = createAggregateEndpoint(config, {
      rpc,
      guard,
      sessions,
      metrics,
      logger,
      resourceMetadataUrl: aggregateMetadataUrl,
      version: GATEWAY_VERSION,
      prefetch,
    });
    if (aggregate) {
      closers.push(async () => aggregate.close());
      app.get(resourceMetadataPath(aggregatePath), async () =>
        protectedResourceMetadata(`${origin}${aggregatePath}`, resourceOptions),
      );
      mcp.route({
        method: ['POST', 'GET', 'DELETE'],
        url: aggregatePath,
        onRequest: [hostCheck, authenticate(authenticator, () => aggregateMetadataUrl)],
        handler: (request, reply) => aggregate.handle(request, reply),
      });
    }
  });

  // The guard's admin API: same auth chain, Host check, and the admin scope.
  const adminGuard = isGuardAdmin(guard) ? guard : undefined;
  if (options.adminRoutes || adminGuard) {
    await app.register(
      async (admin) => {
        admin.addHook('onRequest', hostCheck);
        admin.addHook(
          'onRequest',
          authenticate(authenticator, () => rootMetadataUrl),
        );
        admin.addHook('onRequest', async (request, reply) => {
          if (missingScopesOf(request.auth, [ADMIN_SCOPE]).length > 0) {
            return refuseInsufficientScope(
              reply,
              [ADMIN_SCOPE],
              rootMetadataUrl,
              JSON.stringify({
                error: 'insufficient-scope',
                message: `the admin API needs scope ${ADMIN_SCOPE}`,
              }),
            );
          }
          return undefined;
        });
        if (options.adminRoutes) await admin.register(options.adminRoutes, { guard });
        else if (adminGuard) await admin.register(adminRoutes, { guard: adminGuard });
      },
      { prefix: '/admin' },
    );
  }
}

/** Whether a guard has the admin surface (`createToolGuard`'s guard has). */
function isGuardAdmin(guard: ToolGuard): guard is ToolGuard & GuardAdmin {
  const g = guard as Partial<GuardAdmin>;
  return (
    typeof g.tools === 'function' &&
    typeof g.approvals === 'function' &&
    typeof g.approve === 'function'
  );
}

/**
 * The guard a configuration describes. It shares the gateway's Redis client when pins and
 * session bindings live in the same Redis; otherwise it opens (and closes) its own.
 */
function openGuard(
  config: GatewayConfig,
  logger: Logger,
  metrics: GatewayMetrics,
  redis: Redis | undefined,
): Promise<ToolGuard> {
  const { trust, pins } = config.document;
  const shared = pins?.store === 'redis' && pins.redis?.url === config.sessions.redis?.url;
  return createToolGuard(
    {
      trust,
      pins,
      upstreams: Object.fromEntries(
        [...config.upstreams.values()].map((u) => [u.name, u.document]),
      ),
    },
    {
      baseDir: config.baseDir,
      logger,
      metrics: metrics.registry,
      ...(shared && redis ? { redis } : {}),
    },
  );
}

/**
 * The ETDI gateway as a Fastify plugin, for operators who mount it in their own app: the MCP
 * endpoints `/servers/<name>/mcp` (POST, GET, DELETE) of every configured upstream, `/healthz`,
 * `/readyz`, `/metrics`, the RFC 9728 documents and, when given, the guard's `/admin` API.
 * Only its own routes authenticate; the rest of your app is untouched.
 *
 * @example
 * const app = Fastify();
 * await app.register(etdiGateway, { config: await loadGatewayConfig('gateway.yaml'), guard });
 */
export const etdiGateway = fp(gatewayPlugin, { name: '@etdi/gateway', fastify: '5.x' });
