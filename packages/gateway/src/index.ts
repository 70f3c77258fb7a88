// @etdi/gateway: the verifying MCP gateway. The public API is exported from here by name.

export {
  GatewayError,
  GATEWAY_ERROR_CODES,
  isGatewayErrorCode,
  type GatewayErrorCode,
  type GatewayErrorOptions,
} from './errors.js';

// Configuration.
export {
  GatewayConfigSchema,
  UpstreamConfigSchema,
  type GatewayConfigDocument,
  type UpstreamConfigDocument,
} from './config/schema.js';
export {
  DurationSchema,
  TrustConfigSchema,
  PinsConfigSchema,
  UpstreamGuardSchema,
  RegistryTrustSchema,
  RedisPinsSchema,
  GUARD_DEFAULTS,
  type TrustConfig,
  type PinsConfig,
  type UpstreamGuardConfig,
  type ToolGuardConfig,
} from './guard/config-schema.js';
export { GATEWAY_DEFAULTS } from './config/defaults.js';
export type { GatewayConfig, UpstreamConfig } from './config/gateway-config.js';
export {
  validateGatewayConfig,
  type ValidateGatewayConfigOptions,
} from './config/validate-config.js';
export {
  loadGatewayConfig,
  parseGatewayConfig,
  type GatewayConfigFormat,
} from './config/load-config.js';

// The server and the plugin.
export { buildGateway, type BuildGatewayOptions } from './build-gateway.js';
export { runGatewayCli, type GatewayCliIo } from './run-gateway-cli.js';
export { etdiGateway, ADMIN_SCOPE, type EtdiGatewayOptions, type GatewayState } from './plugin.js';
export { GatewayMetrics } from './metrics.js';

// The upstream seam.
export type { Upstream, UpstreamRequest, UpstreamResponse } from './upstream/upstream.js';
export { HttpUpstream, type HttpUpstreamOptions } from './upstream/http-upstream.js';
export { StdioUpstream, type StdioUpstreamOptions } from './upstream/stdio-upstream.js';
export {
  StdioUpstreamSchema,
  STDIO_DEFAULTS,
  type StdioUpstreamConfig,
} from './config/stdio-config.js';
export { HeaderPolicy, UpstreamCredentials } from './upstream/upstream-headers.js';

// The guard.
export {
  createToolGuard,
  type CreateToolGuardOptions,
  type GatewayToolGuard,
} from './guard/create-tool-guard.js';
export { RedisPinStore, type RedisPinStoreOptions } from './pins/redis-pin-store.js';
export type { ToolRecord, ToolSource, PendingApproval } from './guard/tool-record.js';
export type { GuardAdmin, ApprovalTarget, ApprovalRequestView } from './admin/guard-admin.js';
export { adminRoutes, type AdminRoutesOptions } from './admin/admin-routes.js';

// The guard seam.
export type {
  ToolGuard,
  GuardContext,
  ListRewrite,
  CallDecision,
  CallRefusal,
  GuardReadiness,
} from './guard/tool-guard.js';

// Sessions.
export type { SessionBindingStore } from './sessions/session-bindings.js';
export {
  MemorySessionBindings,
  type MemorySessionBindingsOptions,
} from './sessions/memory-session-bindings.js';
export {
  RedisSessionBindings,
  type RedisSessionBindingsOptions,
} from './sessions/redis-session-bindings.js';

// Wire helpers.
export {
  rewriteEventStream,
  formatEvent,
  type EventDataRewrite,
  type RewriteEventStreamOptions,
} from './proxy/sse-rewriter.js';
export {
  JSON_RPC,
  inspectMessage,
  jsonRpcError,
  type InspectedMessage,
  type JsonRpcId,
  type RefusedMessage,
} from './proxy/json-rpc.js';
export { McpProxy, type McpProxyOptions } from './proxy/mcp-proxy.js';
export {
  checkToolCall,
  sendToolCallRefusal,
  type ToolCallRefusalContext,
  type ToolCallVerdict,
} from './proxy/tool-call-check.js';

// Both MCP eras (2025 session-based, 2026-07-28 stateless) and /mcp.
export {
  classifyDownstream,
  MODERN_PROTOCOL_VERSION,
  LEGACY_PROTOCOL_VERSIONS,
  MODERN_ERRORS,
  type DownstreamEra,
  type EraRefusal,
} from './stateless/era.js';
export {
  UpstreamRpc,
  type UpstreamRpcOptions,
  type UpstreamEra,
  type UpstreamProtocol,
  type UpstreamDescription,
  type RpcAnswer,
  type RpcMessage,
} from './stateless/upstream-rpc.js';
export { EraBridge, type EraBridgeOptions, type GatewayParts } from './stateless/era-bridge.js';
export {
  AggregateNames,
  MAX_EXPOSED_NAME,
  NAME_SEPARATOR,
  type RoutedName,
} from './aggregate/aggregate-names.js';
export {
  AggregateEndpoint,
  type AggregateEndpointOptions,
} from './aggregate/aggregate-endpoint.js';
