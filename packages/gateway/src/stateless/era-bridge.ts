import type { Logger } from '@etdi/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GuardContext, ToolGuard } from '../guard/tool-guard.js';
import { principalOf } from '../http/gateway-auth.js';
import type { GatewayMetrics } from '../metrics.js';
import {
  jsonRpcError,
  JSON_RPC,
  type InspectedMessage,
  type JsonRpcId,
} from '../proxy/json-rpc.js';
import { checkToolCall, sendToolCallRefusal } from '../proxy/tool-call-check.js';
import { upstreamFailure } from '../proxy/upstream-failure.js';
import type { SessionBindingStore } from '../sessions/session-bindings.js';
import {
  asLegacyResult,
  asModernResult,
  LEGACY_PROTOCOL_VERSIONS,
  MODERN_PROTOCOL_VERSION,
  SERVER_INFO_META,
  withoutEnvelope,
} from './era.js';
import { guardedRequest } from './guarded-request.js';
import type { ToolListPrefetch } from './tool-list-prefetch.js';
import { newSessionId, type UpstreamDescription, type UpstreamRpc } from './upstream-rpc.js';

/** The era of one downstream request. */
export type DownstreamEraName = 'legacy' | 'modern';

/**
 * What the gateway's own MCP front ends (the era bridge of each per-upstream route, and `/mcp`)
 * share: the upstream client, the guard, session bindings and the gateway's metrics and log.
 */
export interface GatewayParts {
  readonly rpc: UpstreamRpc;
  readonly guard: ToolGuard;
  readonly sessions: SessionBindingStore;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly resourceMetadataUrl: string;
  readonly prefetch?: ToolListPrefetch | undefined;
}

/** Options of {@link EraBridge}: the shared parts, for one upstream. */
export interface EraBridgeOptions extends GatewayParts {
  readonly upstream: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Capabilities as the other era can use them: `listChanged` needs a channel the bridge does not
 * carry across eras (the GET stream one way, `subscriptions/listen` the other), so it is not
 * offered; everything else is the upstream's own.
 */
function bridgedCapabilities(
  capabilities: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(capabilities)) {
    if (isObject(value) && 'listChanged' in value) {
      const { listChanged: _dropped, ...rest } = value;
      out[name] = rest;
    } else {
      out[name] = value;
    }
  }
  return out;
}

/** Client notifications the bridge passes upstream (see `CLIENT_NOTIFICATIONS`). */
const BRIDGED_NOTIFICATIONS: ReadonlySet<string> = new Set(['notifications/roots/list_changed']);

/**
 * Carries requests between a downstream client and an upstream of the other era, on
 * `/servers/<name>/mcp`, where the MCP revisions allow it:
 *
 * - a stateless (2026-07-28) client and a session-based upstream: the gateway answers
 *   `server/discover` from the upstream's `initialize` result, and sends each request on the
 *   upstream session it holds for the caller (principal + upstream), without the envelope;
 * - a session-based client and a stateless upstream: the gateway answers `initialize` from the
 *   upstream's `server/discover` result, issues and binds the `Mcp-Session-Id` itself (to the
 *   principal, like any session), and sends each request with the 2026-07-28 envelope and
 *   headers.
 *
 * What has no counterpart is refused with a JSON-RPC error saying so: `subscriptions/listen`
 * to a session upstream, the GET stream to a stateless one, and an upstream's `input_required`
 * result to a session client. `tools/list` answers go through the guard and `tools/call`
 * through `checkToolCall`, as on the pass-through path.
 */
export class EraBridge {
  readonly #o: EraBridgeOptions;

  constructor(options: EraBridgeOptions) {
    this.#o = options;
  }

  /** Whether a downstream request of `era` needs the bridge for this upstream. */
  async needed(era: DownstreamEraName): Promise<boolean> {
    const upstreamEra = await this.#o.rpc.era(this.#o.upstream);
    return era === 'modern' ? upstreamEra === 'session' : upstreamEra === 'stateless';
  }

  /** Handles one request the bridge is {@link needed} for. */
  async handle(
    request: FastifyRequest,
    reply: FastifyReply,
    era: DownstreamEraName,
    message: InspectedMessage | undefined,
    body: Buffer | undefined,
  ): Promise<void> {
    const principal = principalOf(request.auth);
    const id = message?.id ?? null;
    const value =
      body === undefined ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    const params = withoutEnvelope(value.params);
    const sessionHeader = request.headers['mcp-session-id'];
    const sessionId =
      era === 'legacy' && typeof sessionHeader === 'string' ? sessionHeader : undefined;
    try {
      if (era === 'legacy') {
        if (message?.method === 'initialize')
          return await this.#initialize(reply, id, principal, params);
        if (sessionId === undefined) {
          return this.#send(
            reply,
            400,
            jsonRpcError(
              id,
              JSON_RPC.upstreamError,
              'Bad Request: Mcp-Session-Id header is required (send initialize first)',
            ),
          );
        }
        if ((await this.#o.sessions.get(this.#o.upstream, sessionId)) !== principal) {
          this.#o.metrics.refusal(this.#o.upstream, 'session-not-found');
          return this.#send(
            reply,
            404,
            jsonRpcError(id, JSON_RPC.sessionNotFound, 'Session not found'),
          );
        }
        if (request.method === 'DELETE') {
          await this.#o.sessions.delete(this.#o.upstream, sessionId);
          return this.#send(reply, 200, '');
        }
        if (request.method === 'GET') {
          return this.#send(
            reply,
            405,
            jsonRpcError(
              null,
              JSON_RPC.upstreamError,
              `Method not allowed: upstream "${this.#o.upstream}" speaks ${MODERN_PROTOCOL_VERSION}, which has no GET stream`,
            ),
          );
        }
      }
      if (message === undefined || message.method === undefined) return this.#send(reply, 202, '');
      if (message.id === null) {
        // The handshake's end is the gateway's business with a session client: a stateless
        // upstream has no handshake.
        if (era === 'legacy' && message.method === 'notifications/initialized') {
          return this.#send(reply, 202, '');
        }
        // Cancellation and progress name request ids and tokens of the client's own requests;
        // upstream, the gateway sent those requests under ids of its own (shared by callers), so
        // passing them on could cancel another caller's request. They are dropped.
        if (!BRIDGED_NOTIFICATIONS.has(message.method)) return this.#send(reply, 202, '');
        await this.#o.rpc.notify(this.#o.upstream, principal, { method: message.method, params });
        return this.#send(reply, 202, '');
      }
      if (era === 'modern' && message.method === 'server/discover') {
        const description = await this.#o.rpc.describe(this.#o.upstream, principal);
        return this.#result(reply, era, message.method, id, this.#discoverResult(description));
      }
      if (era === 'modern' && message.method === 'subscriptions/listen') {
        return this.#send(
          reply,
          200,
          jsonRpcError(
            id,
            JSON_RPC.methodNotFound,
            `subscriptions/listen is not available through the gateway: upstream "${this.#o.upstream}" speaks the session-based revisions; list again to see changes`,
          ),
        );
      }
      const ctx: GuardContext = {
        upstream: this.#o.upstream,
        sessionId,
        principal: request.auth?.userId,
      };
      if (message.method === 'tools/call') {
        const verdict = await checkToolCall(
          this.#o.guard,
          ctx,
          request.auth,
          message.toolName,
          id,
          message.toolName,
          this.#o.prefetch,
        );
        if (!verdict.ok) {
          sendToolCallRefusal(reply, verdict, {
            metrics: this.#o.metrics,
            upstream: this.#o.upstream,
            route: this.#o.upstream,
            method: 'tools/call',
            resourceMetadataUrl: this.#o.resourceMetadataUrl,
          });
          return;
        }
      }
      const answer = await guardedRequest(
        this.#o.rpc,
        this.#o.guard,
        ctx,
        principal,
        message.method,
        params,
      );
      if (answer.error)
        return this.#send(
          reply,
          200,
          jsonRpcError(id, answer.error.code, answer.error.message, answer.error.data),
        );
      const result = answer.result ?? {};
      if (era === 'legacy' && result.resultType !== undefined && result.resultType !== 'complete') {
        return this.#send(
          reply,
          200,
          jsonRpcError(
            id,
            -32603,
            `upstream "${this.#o.upstream}" answered with resultType ${JSON.stringify(result.resultType)} (${MODERN_PROTOCOL_VERSION}), which a session-based client cannot continue through the gateway`,
            { reason: 'era-mismatch' },
          ),
        );
      }
      return this.#result(reply, era, message.method, id, result);
    } catch (error) {
      return this.#failure(reply, id, error);
    }
  }

  async #initialize(
    reply: FastifyReply,
    id: JsonRpcId,
    principal: string,
    params: Record<string, unknown> | undefined,
  ): Promise<void> {
    const description = await this.#o.rpc.describe(this.#o.upstream, principal);
    const requested =
      typeof params?.protocolVersion === 'string' ? params.protocolVersion : undefined;
    const protocolVersion =
      requested !== undefined && LEGACY_PROTOCOL_VERSIONS.includes(requested)
        ? requested
        : LEGACY_PROTOCOL_VERSIONS[0]!;
    const sessionId = newSessionId();
    await this.#o.sessions.setIfAbsent(this.#o.upstream, sessionId, principal);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id,
      result: {
        protocolVersion,
        capabilities: bridgedCapabilities(description.capabilities),
        serverInfo: description.serverInfo ?? { name: this.#o.upstream, version: '0' },
        ...(description.instructions === undefined
          ? {}
          : { instructions: description.instructions }),
      },
    });
    this.#o.metrics.request(this.#o.upstream, 'initialize', 200);
    void reply.code(200).type('application/json').header('mcp-session-id', sessionId).send(body);
  }

  #discoverResult(description: UpstreamDescription): Record<string, unknown> {
    return {
      supportedVersions: [MODERN_PROTOCOL_VERSION],
      capabilities: bridgedCapabilities(description.capabilities),
      ...(description.instructions === undefined ? {} : { instructions: description.instructions }),
      _meta: {
        [SERVER_INFO_META]: description.serverInfo ?? { name: this.#o.upstream, version: '0' },
      },
    };
  }

  #result(
    reply: FastifyReply,
    era: DownstreamEraName,
    method: string,
    id: JsonRpcId,
    result: Record<string, unknown>,
  ): void {
    const out = era === 'modern' ? asModernResult(method, result) : asLegacyResult(result);
    this.#send(reply, 200, JSON.stringify({ jsonrpc: '2.0', id, result: out }));
  }

  #failure(reply: FastifyReply, id: JsonRpcId, error: unknown): void {
    const f = upstreamFailure(this.#o.logger, this.#o.upstream, error, 'bridged request failed');
    this.#send(reply, f.status, jsonRpcError(id, f.rpc.code, f.rpc.message, f.rpc.data));
  }

  #send(reply: FastifyReply, status: number, body: string): void {
    this.#o.metrics.request(this.#o.upstream, 'bridged', status);
    if (body === '') {
      void reply.code(status).send();
      return;
    }
    void reply.code(status).type('application/json').header('cache-control', 'no-store').send(body);
  }
}
