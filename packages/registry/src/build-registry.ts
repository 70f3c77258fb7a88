import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { createAjv, importSigningKey, type PrivateJwk, type SigningKey } from '@etdi/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { RegistryError } from './errors.js';
import { RegistryAuth } from './http/auth.js';
import { conditionalGets } from './http/caching.js';
import type { RegistryContext } from './http/context.js';
import { problemResponses } from './http/error-handling.js';
import { acceptJsonBodies } from './http/json-body.js';
import { RegistryMetrics } from './http/metrics.js';
import { problemOf, sendProblem } from './http/problem.js';
import { digestRoutes } from './http/routes/digest-routes.js';
import { discoveryRoutes } from './http/routes/discovery-routes.js';
import { opsRoutes } from './http/routes/ops-routes.js';
import { providerRoutes } from './http/routes/provider-routes.js';
import { revocationRoutes } from './http/routes/revocation-routes.js';
import { toolRoutes } from './http/routes/tool-routes.js';
import { REGISTRY_DEFAULTS, type RegistryOptions } from './options.js';
import { isProviderId } from './provider-id.js';
import { RevocationPublisher } from './service/revocation-publisher.js';
import { VersionCache } from './service/version-cache.js';
import { registryVersion } from './version.js';

const VERSION = registryVersion();

async function signingKeyOf(key: SigningKey | PrivateJwk, id: string): Promise<SigningKey> {
  const imported =
    'privateKey' in key ? (key as SigningKey) : await importSigningKey(key as PrivateJwk);
  if (imported.iss !== undefined && imported.iss !== id) {
    throw new RegistryError(
      'invalid-config',
      `The registry key is bound to ${JSON.stringify(imported.iss)}, not to the registry id ${JSON.stringify(id)}`,
    );
  }
  return { ...imported, iss: id, publicJwk: { ...imported.publicJwk, iss: id } };
}

/**
 * Builds the registry: a Fastify app serving the registry API of DESIGN.md (publish and serve
 * signed tool definitions, provider keys as trust JWKS, revocations), documented as OpenAPI 3.1
 * at `/openapi.json`. Every error is an RFC 9457 problem with a stable `code`. Call `listen` to
 * serve, `inject` to test; `close` finishes in-flight requests and closes the store.
 *
 * @example
 * const app = await buildRegistry({
 *   store: new SqliteRegistryStore({ path: './data/registry.db' }),
 *   id: 'registry.example',
 *   signingKey: JSON.parse(await readFile('registry-key.jwk', 'utf8')),
 *   adminKeys: [process.env.ETDI_REGISTRY_ADMIN_KEY!],
 * });
 * await app.listen({ host: '127.0.0.1', port: 4000 });
 */
export async function buildRegistry(options: RegistryOptions): Promise<FastifyInstance> {
  if (!isProviderId(options.id)) {
    throw new RegistryError(
      'invalid-config',
      `The registry id ${JSON.stringify(options.id)} must follow the provider id rule (e.g. registry.example)`,
    );
  }
  const signingKey = await signingKeyOf(options.signingKey, options.id);
  const now = options.now ?? Date.now;
  const bodyLimit = options.bodyLimitBytes ?? REGISTRY_DEFAULTS.bodyLimitBytes;
  const cache = options.versionCache ?? REGISTRY_DEFAULTS.versionCache;

  const metrics = new RegistryMetrics({
    processMetrics: options.processMetrics ?? REGISTRY_DEFAULTS.processMetrics,
  });
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Provider ids run to 256 characters (percent-encoded, more): longer than Fastify's 100.
    routerOptions: { maxParamLength: 1024 },
    // Errors the router raises before any route (a broken percent-encoding) are problems too.
    frameworkErrors: (error, _request, reply) => {
      metrics.problem('invalid-request');
      return sendProblem(reply, problemOf(400, 'invalid-request', error.message));
    },
    // Malformed HTTP never reaches a route: answer it with a problem too.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const status = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify(
        problemOf(status, 'invalid-request', 'The request is not valid HTTP'),
      );
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
          `Content-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });

  // One strict ajv (core's) for bodies and paths: nothing removed, nothing coerced; query
  // strings are text, so only they are coerced to the declared types.
  const strict = createAjv();
  const query = createAjv({ coerceTypes: true });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'querystring' ? query : strict).compile(schema),
  );

  const revocations = new RevocationPublisher({
    store: options.store,
    key: signingKey,
    registryId: options.id,
    lifetimeSec: options.revocationLifetimeSec ?? REGISTRY_DEFAULTS.revocationLifetimeSec,
    now,
  });
  const ctx: RegistryContext = {
    store: options.store,
    registryId: options.id,
    signingKey,
    revocations,
    versions: new VersionCache(cache.maxEntries, cache.maxBytes),
    auth: new RegistryAuth({
      store: options.store,
      adminKeys: options.adminKeys ?? [],
      now,
      logger: app.log,
      ...(options.apiKeyPepper === undefined ? {} : { pepper: options.apiKeyPepper }),
    }),
    metrics,
    now,
    publicUrl: options.publicUrl?.replace(/\/+$/, ''),
    closing: { value: false },
  };

  acceptJsonBodies(app, bodyLimit);
  problemResponses(app, metrics);
  metrics.observe(app);
  conditionalGets(app);

  app.addHook('onRequest', async (_request, reply) => {
    if (ctx.closing.value) {
      reply.header('connection', 'close');
      return sendProblem(reply, problemOf(503, 'not-ready', 'The registry is shutting down'));
    }
    return undefined;
  });
  app.addHook('preClose', async () => {
    ctx.closing.value = true;
  });
  // A response finished while closing ends its connection: a keep-alive connection that goes
  // idle after the server started closing would otherwise hold shutdown up until it times out.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (ctx.closing.value) reply.header('connection', 'close');
    return payload;
  });
  if (options.closeStore ?? REGISTRY_DEFAULTS.closeStore) {
    app.addHook('onClose', async () => {
      await options.store.close();
    });
  }
  if (options.migrate ?? REGISTRY_DEFAULTS.migrate) {
    app.addHook('onReady', async () => {
      await options.store.migrate();
    });
  }

  const limits = options.rateLimit ?? REGISTRY_DEFAULTS.rateLimit;
  if (limits !== false) {
    await app.register(rateLimit, {
      max: limits.max,
      timeWindow: limits.windowMs,
      errorResponseBuilder: (_request, context) =>
        new RegistryError(
          'rate-limited',
          `More than ${context.max} requests in ${context.after}; retry after ${context.ttl} ms`,
          { details: { retryAfterMs: context.ttl } },
        ),
    });
  }

  await ctx.auth.register(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ETDI registry',
        version: VERSION,
        description:
          'Publish and serve signed MCP tool definitions, provider keys (trust JWKS) and the signed revocation list. Errors are RFC 9457 problems (application/problem+json) with a stable `code`.',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An @etdi/auth API key `keyId.secret` (admin, or publisher of one provider)',
          },
        },
      },
    },
  });

  await app.register(async (scope) => {
    await opsRoutes(scope, ctx);
    await discoveryRoutes(scope, ctx);
    await providerRoutes(scope, ctx);
    await toolRoutes(scope, ctx);
    await digestRoutes(scope, ctx);
    await revocationRoutes(scope, ctx);
  });
  return app;
}
