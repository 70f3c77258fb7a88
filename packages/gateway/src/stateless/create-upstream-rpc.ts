import type { Logger } from '@etdi/core';
import { GATEWAY_DEFAULTS } from '../config/defaults.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { ToolGuard } from '../guard/tool-guard.js';
import type { Upstream } from '../upstream/upstream.js';
import { GATEWAY_VERSION } from '../version.js';
import { UpstreamRpc, type UpstreamProtocol } from './upstream-rpc.js';

/**
 * The gateway's MCP client of its upstreams (see {@link UpstreamRpc}), with each upstream's
 * `protocol`; every `list_changed` it sees makes the guard verify that upstream's next list
 * afresh, as on the pass-through path.
 */
export function createUpstreamRpc(
  config: GatewayConfig,
  upstreams: ReadonlyMap<string, Upstream>,
  guard: ToolGuard,
  logger: Logger,
): UpstreamRpc {
  const protocols = new Map<string, UpstreamProtocol>();
  for (const [name, upstream] of config.upstreams) {
    // `auto` probes with server/discover over HTTP; an upstream without a URL (a transport of
    // another kind) is session-based unless its configuration says otherwise.
    const document = upstream.document as { protocol?: UpstreamProtocol; url?: unknown };
    protocols.set(
      name,
      document.protocol ?? (typeof document.url === 'string' ? 'auto' : 'session'),
    );
  }
  const rpc = new UpstreamRpc({
    upstreams,
    protocols,
    logger,
    maxResponseBytes: GATEWAY_DEFAULTS.maxResponseBytes,
    maxEventBytes: GATEWAY_DEFAULTS.maxEventBytes,
    clientInfo: { name: 'etdi-gateway', version: GATEWAY_VERSION },
  });
  rpc.onNotification((upstream, _principal, message) => {
    if (message.method === 'notifications/tools/list_changed') guard.listChanged(upstream);
  });
  return rpc;
}
