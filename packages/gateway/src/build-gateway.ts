import Fastify, { type FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config/gateway-config.js';
import { validateGatewayConfig } from './config/validate-config.js';
import { etdiGateway, type EtdiGatewayOptions } from './plugin.js';

/** Options of {@link buildGateway}: the plugin's, without the configuration. */
export type BuildGatewayOptions = Omit<EtdiGatewayOptions, 'config'> & {
  /** Directory relative paths are resolved against, when `config` is a document. */
  readonly baseDir?: string;
};

/**
 * A ready gateway server: Fastify with the gateway plugin, its logger at the configured level,
 * the body limit from the configuration. Listen with
 * `app.listen(config.listen)`; `app.close()` closes upstream pools, the guard, Redis.
 *
 * @example
 * const config = await loadGatewayConfig('gateway.yaml');
 * const app = await buildGateway(config);
 * await app.listen(config.listen);
 */
export async function buildGateway(
  config: GatewayConfig | unknown,
  options: BuildGatewayOptions = {},
): Promise<FastifyInstance> {
  const resolved = isResolved(config)
    ? config
    : validateGatewayConfig(config, {
        ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
        ...(options.env === undefined ? {} : { env: options.env }),
      });
  const app = Fastify({
    logger: options.logger ? false : { level: resolved.document.logLevel ?? 'info' },
    bodyLimit: resolved.maxRequestBytes,
    // Upstream SSE streams may be quiet for long: no request timeout on the server side.
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  const { baseDir: _baseDir, ...pluginOptions } = options;
  try {
    await app.register(etdiGateway, { ...pluginOptions, config: resolved });
    await app.ready();
  } catch (error) {
    await app.close().catch(() => {});
    throw error;
  }
  return app;
}

function isResolved(config: unknown): config is GatewayConfig {
  return (
    config !== null &&
    typeof config === 'object' &&
    (config as { upstreams?: unknown }).upstreams instanceof Map &&
    (config as { publicUrl?: unknown }).publicUrl instanceof URL
  );
}
