import type { AuthResult } from '@etdi/auth';
import type { Logger } from '@etdi/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import type { GuardContext, ToolGuard } from '../guard/tool-guard.js';
import { principalOf } from '../http/gateway-auth.js';
import type { UpstreamAccess } from '../http/upstream-access.js';
import type { GatewayMetrics } from '../metrics.js';
import { inspectMessage, jsonRpcError, JSON_RPC, type JsonRpcId } from '../proxy/json-rpc.js';
import { checkToolCall, sendToolCallRefusal } from '../proxy/tool-call-check.js';
import { upstreamFailure } from '../proxy/upstream-failure.js';
import type { SessionBindingStore } from '../sessions/session-bindings.js';
import {
  asLegacyResult,
  asModernResult,
  classifyDownstream,
  LEGACY_PROTOCOL_VERSIONS,
  mayBeModern,
  MODERN_PROTOCOL_VERSION,
  SERVER_INFO_META,
  withoutEnvelope,
} from '../stateless/era.js';
import { guardedRequest, type GuardedAnswer } from '../stateless/guarded-request.js';
import type { ToolListPrefetch } from '../stateless/tool-list-prefetch.js';
import { newSessionId, type UpstreamRpc } from '../stateless/upstream-rpc.js';
import type { AggregateNames } from './aggregate-names.js';
import { CursorSeal } from './aggregate-cursor.js';

/** Options of {@link AggregateEndpoint}. */
export interface AggregateEndpointOptions {
  readonly rpc: UpstreamRpc;
  readonly guard: ToolGuard;
  readonly sessions: SessionBindingStore;
  readonly names: AggregateNames;
  /** The upstreams `/mcp` serves (those with `aggregate.include` not false), in order. */
  readonly upstreams: readonly string[];
  /** Which upstreams a caller may use (`aggregate.access`, `aggregate.scope`). */
  readonly access: UpstreamAccess;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly resourceMetadataUrl: string;
  readonly serverInfo: { readonly name: string; readonly version: string };
  /** Lists an upstream through the guard when a call names a tool this node never listed. */
  readonly prefetch?: ToolListPrefetch | undefined;
  /** `aggregate.cursorSecret`: the HMAC key of `/mcp` cursors; default: random per process. */
  readonly cursorSecret?: string | undefined;
}

/** The session namespace of `/mcp` in the binding store (no upstream can be named so). */
const SESSION_SPACE = '/mcp';
const LABEL = 'mcp';

type Era = 'legacy' | 'modern';

interface Exchange {
  readonly id: JsonRpcId;
  readonly method: string;
  readonly era: Era;
  readonly auth: AuthResult | null;
  readonly principal: string;
  readonly sessionId: string | undefined;
  readonly visible: readonly string[];
}

interface Outcome {
  readonly status: number;
  readonly body: string;
}

interface OpenStream {
  readonly principal: string;
  readonly visible: ReadonlySet<string>;
  readonly res: ServerResponse;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const FORWARDED_NOTIFICATIONS = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
]);

/**
 * The `/mcp` endpoint: one MCP server in front of every upstream the caller may use. It answers
 * `initialize` (session era) and `server/discover` (2026-07-28) itself, lists the union of the
 * upstreams' verified tools under collision-free names (`<prefix>__<tool>`), routes
 * `tools/call` and `prompts/get` to the owning upstream under the original name, pages across
 * upstreams with an opaque cursor, and forwards `list_changed` from any upstream to the open
 * GET streams of the callers who see it. Every tool list goes through the guard and every call
 * through the same checks as on `/servers/<name>/mcp`; an upstream that fails is left out of the
 * answer (with a logged reason) instead of failing it.
 */
export class AggregateEndpoint {
  readonly #o: AggregateEndpointOptions;
  readonly #streams = new Map<string, OpenStream>();
  readonly #stopListening: () => void;
  readonly #cursors: CursorSeal;

  constructor(options: AggregateEndpointOptions) {
    this.#o = options;
    this.#cursors = new CursorSeal(options.cursorSecret);
    this.#stopListening = options.rpc.onNotification((upstream, principal, message) => {
      if (!FORWARDED_NOTIFICATIONS.has(message.method)) return;
      const event = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: message.method })}\n\n`;
      for (const stream of this.#streams.values()) {
        if (
          (principal === undefined || stream.principal === principal) &&
          stream.visible.has(upstream)
        ) {
          stream.res.write(event);
        }
      }
    });
  }

  /** Ends the open notification streams. */
  close(): void {
    this.#stopListening();
    for (const stream of this.#streams.values()) stream.res.end();
    this.#streams.clear();
  }

  /** Handles one request on `/mcp`; the caller is already authenticated. */
  async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const auth = request.auth;
    const principal = principalOf(auth);
    const visible = this.#visible(auth);
    const sessionHeader = request.headers['mcp-session-id'];
    const sessionId = typeof sessionHeader === 'string' ? sessionHeader : undefined;

    if (request.method !== 'POST') {
      if (sessionId === undefined) {
        return this.#send(
          reply,
          405,
          jsonRpcError(
            null,
            JSON_RPC.upstreamError,
            'Method not allowed: GET and DELETE need an Mcp-Session-Id of the session era',
          ),
        );
      }
      if (!(await this.#owns(sessionId, principal))) return this.#sessionNotFound(reply, null);
      if (request.method === 'DELETE') {
        await this.#o.sessions.delete(SESSION_SPACE, sessionId);
        this.#streams.get(sessionId)?.res.end();
        return this.#send(reply, 200, '');
      }
      return this.#openStream(reply, sessionId, principal, visible);
    }

    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const inspected = inspectMessage(body);
    if (!inspected.ok) {
      const e = inspected.error;
      return this.#send(reply, e.status, jsonRpcError(e.id, e.code, e.message));
    }
    const message = inspected.message;
    const value = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    let era: Era = 'legacy';
    if (mayBeModern(request.headers, body)) {
      const classified = classifyDownstream('POST', request.headers, value);
      if (classified.era === 'refused') {
        const r = classified.refusal;
        this.#o.metrics.refusal(LABEL, 'header-mismatch');
        return this.#send(reply, r.status, jsonRpcError(message.id, r.code, r.message, r.data));
      }
      era = classified.era;
    }
    if (message.method === undefined || (message.id === null && era === 'modern')) {
      // A client's response or a notification: nothing on /mcp waits for one.
      return this.#send(reply, 202, '');
    }
    const exchange: Exchange = {
      id: message.id,
      method: message.method,
      era,
      auth,
      principal,
      // 2026-07-28 has no sessions: a header there is unchecked (never bound to this caller),
      // so it must not name anyone's session in audit records or guard state.
      sessionId: era === 'modern' ? undefined : sessionId,
      visible,
    };
    if (era === 'legacy') {
      if (message.method === 'initialize') return this.#initialize(reply, exchange, value.params);
      if (sessionId === undefined) {
        return this.#send(
          reply,
          400,
          jsonRpcError(
            message.id,
            JSON_RPC.upstreamError,
            'Bad Request: Mcp-Session-Id header is required (send initialize first)',
          ),
        );
      }
      if (!(await this.#owns(sessionId, principal)))
        return this.#sessionNotFound(reply, message.id);
      if (message.id === null) return this.#send(reply, 202, '');
    }
    const params = withoutEnvelope(value.params) ?? {};
    if (message.method === 'tools/call') return this.#callTool(reply, exchange, params);
    const outcome = await this.#dispatch(exchange, message.method, params);
    return this.#send(reply, outcome.status, outcome.body);
  }

  // ---------------------------------------------------------------- methods

  async #initialize(reply: FastifyReply, x: Exchange, params: unknown): Promise<void> {
    const requested =
      isObject(params) && typeof params.protocolVersion === 'string'
        ? params.protocolVersion
        : undefined;
    const protocolVersion =
      requested !== undefined && LEGACY_PROTOCOL_VERSIONS.includes(requested)
        ? requested
        : LEGACY_PROTOCOL_VERSIONS[0]!;
    const sessionId = newSessionId();
    await this.#o.sessions.setIfAbsent(SESSION_SPACE, sessionId, x.principal);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: x.id,
      result: {
        protocolVersion,
        capabilities: { tools: { listChanged: true }, prompts: { listChanged: true } },
        serverInfo: this.#o.serverInfo,
        instructions: this.#instructions(x.visible),
      },
    });
    this.#o.metrics.request(LABEL, 'initialize', 200);
    void reply.code(200).type('application/json').header('mcp-session-id', sessionId).send(body);
  }

  async #dispatch(x: Exchange, method: string, params: Record<string, unknown>): Promise<Outcome> {
    switch (method) {
      case 'server/discover':
        if (x.era === 'legacy') break;
        return this.#result(x, {
          supportedVersions: [MODERN_PROTOCOL_VERSION],
          capabilities: { tools: {}, prompts: {} },
          instructions: this.#instructions(x.visible),
          _meta: { [SERVER_INFO_META]: this.#o.serverInfo },
        });
      case 'ping':
        return this.#result(x, {});
      case 'tools/list':
        return this.#list(x, 'tools/list', 'tools', params);
      case 'prompts/list':
        return this.#list(x, 'prompts/list', 'prompts', params);
      case 'prompts/get':
        return this.#routed(x, 'prompts/get', params);
      case 'resources/list':
      case 'resources/templates/list':
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
      case 'completion/complete':
        return this.#error(
          x.id,
          JSON_RPC.methodNotFound,
          `${method} is not served on /mcp: resource URIs cannot be made collision-free across upstreams by a prefix; use /servers/<name>/mcp for the upstream that has them`,
        );
    }
    return this.#error(
      x.id,
      JSON_RPC.methodNotFound,
      `Method not found: ${method} is not served on /mcp`,
    );
  }

  async #callTool(
    reply: FastifyReply,
    x: Exchange,
    params: Record<string, unknown>,
  ): Promise<void> {
    const shown = typeof params.name === 'string' ? params.name : undefined;
    const routed = shown === undefined ? undefined : this.#route(x, shown);
    const ctx: GuardContext = {
      upstream: routed?.upstream ?? '',
      sessionId: x.sessionId,
      principal: x.auth?.userId,
    };
    if (!routed) {
      this.#o.metrics.refusal(LABEL, 'unknown-tool');
      const outcome = this.#error(
        x.id,
        JSON_RPC.invalidParams,
        `Tool ${JSON.stringify(shown ?? '')} cannot be called: unknown-tool`,
        {
          reason: 'unknown-tool',
          detail: 'no upstream this caller may use serves a tool of that name on /mcp',
        },
      );
      return this.#send(reply, outcome.status, outcome.body);
    }
    const verdict = await checkToolCall(
      this.#o.guard,
      ctx,
      x.auth,
      routed.name,
      x.id,
      shown,
      this.#o.prefetch,
    );
    if (!verdict.ok) {
      sendToolCallRefusal(reply, verdict, {
        metrics: this.#o.metrics,
        upstream: routed.upstream,
        route: LABEL,
        method: 'tools/call',
        resourceMetadataUrl: this.#o.resourceMetadataUrl,
      });
      return;
    }
    const outcome = await this.#forward(x, routed.upstream, 'tools/call', {
      ...params,
      name: routed.name,
    });
    return this.#send(reply, outcome.status, outcome.body);
  }

  async #routed(x: Exchange, method: string, params: Record<string, unknown>): Promise<Outcome> {
    const shown = typeof params.name === 'string' ? params.name : '';
    const routed = this.#route(x, shown);
    if (!routed) {
      return this.#error(
        x.id,
        JSON_RPC.invalidParams,
        `No upstream this caller may use serves ${JSON.stringify(shown)} on /mcp`,
      );
    }
    return this.#forward(x, routed.upstream, method, { ...params, name: routed.name });
  }

  async #forward(
    x: Exchange,
    upstream: string,
    method: string,
    params: Record<string, unknown>,
  ): Promise<Outcome> {
    let answer: GuardedAnswer;
    try {
      const ctx: GuardContext = { upstream, sessionId: x.sessionId, principal: x.auth?.userId };
      answer = await guardedRequest(this.#o.rpc, this.#o.guard, ctx, x.principal, method, params);
    } catch (error) {
      return this.#failure(x, upstream, error);
    }
    if (answer.error)
      return this.#error(x.id, answer.error.code, answer.error.message, answer.error.data);
    return this.#result(x, answer.result ?? {});
  }

  /**
   * One page of `tools/list` or `prompts/list` across upstreams: the first page asks every
   * visible upstream for its first page at once; the cursor names the upstreams that have more,
   * each with its own cursor.
   */
  async #list(
    x: Exchange,
    method: 'tools/list' | 'prompts/list',
    key: 'tools' | 'prompts',
    params: Record<string, unknown>,
  ): Promise<Outcome> {
    let plan: [string, string | undefined][];
    let listing: string;
    if (params.cursor === undefined) {
      plan = x.visible.map((u) => [u, undefined]);
      listing = CursorSeal.newListing();
    } else {
      const decoded =
        typeof params.cursor === 'string'
          ? this.#cursors.decode(params.cursor, method, x.principal)
          : undefined;
      if (!decoded) {
        this.#o.metrics.refusal(LABEL, 'invalid-cursor');
        return this.#error(
          x.id,
          JSON_RPC.invalidParams,
          'Invalid params: invalid cursor: this gateway did not issue it to this caller for this method (list again without one)',
        );
      }
      plan = Object.entries(decoded.pending).filter(([u]) => x.visible.includes(u));
      listing = decoded.listing;
    }
    const pages = await Promise.all(
      plan.map(([upstream, cursor]) => this.#page(x, method, key, upstream, cursor, listing)),
    );
    const items: Record<string, unknown>[] = [];
    const more: Record<string, string> = {};
    for (const page of pages) {
      if (!page) continue;
      items.push(...page.items);
      if (page.nextCursor !== undefined) more[page.upstream] = page.nextCursor;
    }
    const nextCursor =
      Object.keys(more).length > 0
        ? this.#cursors.encode(method, listing, more, x.principal)
        : undefined;
    return this.#result(x, { [key]: items, ...(nextCursor === undefined ? {} : { nextCursor }) });
  }

  async #page(
    x: Exchange,
    method: 'tools/list' | 'prompts/list',
    key: 'tools' | 'prompts',
    upstream: string,
    cursor: string | undefined,
    listing: string,
  ): Promise<
    | { upstream: string; items: Record<string, unknown>[]; nextCursor: string | undefined }
    | undefined
  > {
    let result: Record<string, unknown> | undefined;
    try {
      const ctx: GuardContext = {
        upstream,
        sessionId: x.sessionId,
        principal: x.auth?.userId,
        listing,
      };
      const answer = await guardedRequest(
        this.#o.rpc,
        this.#o.guard,
        ctx,
        x.principal,
        method,
        cursor === undefined ? undefined : { cursor },
      );
      if (!answer.result || !Array.isArray(answer.result[key])) {
        const data = answer.error?.data as { reason?: unknown } | undefined;
        const reason = data?.reason ?? answer.error?.message ?? 'no list in the answer';
        throw new GatewayError(
          'upstream-unavailable',
          `upstream "${upstream}" gave no ${key}: ${String(reason)}`,
        );
      }
      result = answer.result;
    } catch (error) {
      this.#o.logger.warn(
        {
          upstream,
          method,
          reason: error instanceof GatewayError ? error.code : 'internal-error',
          error: error instanceof Error ? error.message : String(error),
        },
        `upstream left out of /mcp ${method}`,
      );
      return undefined;
    }
    const items: Record<string, unknown>[] = [];
    for (const item of result[key] as unknown[]) {
      if (!isObject(item) || typeof item.name !== 'string') continue;
      const exposed = this.#o.names.expose(upstream, item.name);
      if (exposed === undefined) {
        this.#o.logger.warn(
          { upstream, name: item.name, reason: 'name-too-long' },
          `${key.slice(0, -1)} left out of /mcp: its prefixed name is over the length limit`,
        );
        continue;
      }
      items.push({ ...item, name: exposed });
    }
    const next = result.nextCursor;
    return {
      upstream,
      items,
      nextCursor: typeof next === 'string' && next !== '' ? next : undefined,
    };
  }

  // ---------------------------------------------------------------- helpers

  /** The upstreams a caller sees: those it may use (the same rule as on their own routes). */
  #visible(auth: AuthResult | null): string[] {
    return this.#o.access.usable(auth, this.#o.upstreams);
  }

  #route(x: Exchange, shown: string): { upstream: string; name: string } | undefined {
    const routed = this.#o.names.route(shown);
    return routed && x.visible.includes(routed.upstream) ? routed : undefined;
  }

  #instructions(visible: readonly string[]): string {
    return `ETDI gateway: the verified tools of ${visible.length} upstream server(s) (${visible.join(', ')}), each named <upstream>__<tool>.`;
  }

  async #owns(sessionId: string, principal: string): Promise<boolean> {
    return (await this.#o.sessions.get(SESSION_SPACE, sessionId)) === principal;
  }

  #openStream(
    reply: FastifyReply,
    sessionId: string,
    principal: string,
    visible: readonly string[],
  ): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    this.#streams.get(sessionId)?.res.end();
    const stream = { principal, visible: new Set(visible), res };
    this.#streams.set(sessionId, stream);
    res.once('close', () => {
      if (this.#streams.get(sessionId) === stream) this.#streams.delete(sessionId);
    });
    // Watch every upstream the caller sees, so that their notifications reach this stream.
    for (const upstream of visible) {
      void this.#o.rpc.watch(upstream, principal).catch(() => {});
    }
  }

  #result(x: Exchange, result: Record<string, unknown>): Outcome {
    const out = x.era === 'modern' ? asModernResult(x.method, result) : asLegacyResult(result);
    return { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: x.id, result: out }) };
  }

  #error(id: JsonRpcId, code: number, message: string, data?: unknown): Outcome {
    return { status: 200, body: jsonRpcError(id, code, message, data) };
  }

  #failure(x: Exchange, upstream: string, error: unknown): Outcome {
    const f = upstreamFailure(this.#o.logger, upstream, error, 'request through /mcp failed');
    return {
      status: f.status,
      body: jsonRpcError(x.id, f.rpc.code, f.rpc.message, { ...f.rpc.data, upstream }),
    };
  }

  #sessionNotFound(reply: FastifyReply, id: JsonRpcId): void {
    this.#o.metrics.refusal(LABEL, 'session-not-found');
    this.#send(reply, 404, jsonRpcError(id, JSON_RPC.sessionNotFound, 'Session not found'));
  }

  #send(reply: FastifyReply, status: number, body: string): void {
    this.#o.metrics.request(LABEL, 'request', status);
    if (body === '') {
      void reply.code(status).send();
      return;
    }
    void reply.code(status).type('application/json').header('cache-control', 'no-store').send(body);
  }
}
