import type { GatewayConfig } from '../config/gateway-config.js';
import type { GatewayParts } from '../stateless/era-bridge.js';
import { AggregateEndpoint } from './aggregate-endpoint.js';
import { AggregateNames } from './aggregate-names.js';
import { UpstreamAccess } from '../http/upstream-access.js';

/** The parts of the gateway `/mcp` shares with the per-upstream routes, and its version. */
export interface AggregateParts extends GatewayParts {
  readonly version: string;
}

/** The `/mcp` endpoint a configuration describes; undefined when `aggregate.enabled` is false. */
export function createAggregateEndpoint(
  config: GatewayConfig,
  parts: AggregateParts,
): AggregateEndpoint | undefined {
  if (config.document.aggregate?.enabled === false) return undefined;
  const upstreams: string[] = [];
  for (const [name, upstream] of config.upstreams) {
    if (upstream.document.aggregate?.include !== false) upstreams.push(name);
  }
  return new AggregateEndpoint({
    ...parts,
    names: AggregateNames.of(config),
    upstreams,
    access: UpstreamAccess.of(config),
    cursorSecret: config.document.aggregate?.cursorSecret,
    serverInfo: { name: 'etdi-gateway', version: parts.version },
  });
}
