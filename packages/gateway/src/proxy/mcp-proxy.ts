import type { Logger } from '@etdi/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../errors.js';
import type { GuardContext, ToolGuard } from '../guard/tool-guard.js';
import { principalOf } from '../http/gateway-auth.js';
import type { GatewayMetrics } from '../metrics.js';
import type { SessionBindingStore } from '../sessions/session-bindings.js';
import type { Upstream, UpstreamResponse } from '../upstream/upstream.js';
import { readUpstreamBody } from '../upstream/read-body.js';
import { upstreamFailure } from './upstream-failure.js';
import type { HeaderPolicy } from '../upstream/upstream-headers.js';
import {
  inspectMessage,
  jsonRpcError,
  JSON_RPC,
  type InspectedMessage,
  type JsonRpcId,
} from './json-rpc.js';
import { rewriteEventStream } from './sse-rewriter.js';
import { checkToolCall, sendToolCallRefusal } from './tool-call-check.js';
import { classifyDownstream, mayBeModern } from '../stateless/era.js';
import type { DownstreamEraName, EraBridge } from '../stateless/era-bridge.js';
import type { ToolListPrefetch } from '../stateless/tool-list-prefetch.js';

/** Options of {@link McpProxy}. */
export interface McpProxyOptions {
  readonly upstream: Upstream;
  readonly guard: ToolGuard;
  readonly sessions: SessionBindingStore;
  readonly headers: HeaderPolicy;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** This route's RFC 9728 metadata URL, for `insufficient_scope` challenges. */
  readonly resourceMetadataUrl: string;
  readonly maxResponseBytes: number;
  readonly maxEventBytes: number;
  /**
   * Requests whose era the upstream does not speak (a 2026-07-28 client and a session-based
   * upstream, or the other way round) go to the bridge. Without one, everything passes through.
   */
  readonly bridge?: EraBridge | undefined;
  /** Lists the upstream through the guard when a call names a tool this node never listed. */
  readonly prefetch?: ToolListPrefetch | undefined;
}

// Upstream response headers that describe the upstream connection, or that belong to the
// gateway's own relation with the upstream (its cookies, its auth challenges).
const NOT_RETURNED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'content-length',
  'content-encoding',
  'set-cookie',
  'www-authenticate',
  'proxy-authenticate',
]);

const LIST_CHANGED = 'notifications/tools/list_changed';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A message text that may hold something the gateway must act on. A JSON text can spell a key
 * with escapes (`"\u0074ools"`), so any escape makes a text a candidate too: the cheap test
 * never lets a disguised tool list through unparsed.
 */
function mayContain(text: string, needle: string): boolean {
  return text.includes(needle) || text.includes('\\u');
}

function isToolsResult(message: unknown): boolean {
  if (message === null || typeof message !== 'object') return false;
  const result = (message as { result?: unknown }).result;
  return (
    result !== null &&
    typeof result === 'object' &&
    Array.isArray((result as { tools?: unknown }).tools)
  );
}

/**
 * The pass-through proxy of one upstream's MCP endpoint (POST, GET, DELETE). It forwards
 * requests, SSE streams and session headers as they are, and acts on exactly these: it refuses
 * what MCP forbids (batches, malformed JSON), keeps sessions with the principal that opened
 * them, asks the guard before any `tools/call` and checks the caller's scopes against the
 * tool's signed `perms`, hands every `tools/list` result (JSON or inside SSE events, on any
 * stream) to the guard to rewrite, and tells the guard of `notifications/tools/list_changed`.
 */
export class McpProxy {
  readonly #o: McpProxyOptions;
  readonly #name: string;

  constructor(options: McpProxyOptions) {
    this.#o = options;
    this.#name = options.upstream.name;
  }

  /** Handles one request on `/servers/<name>/mcp`; the caller is already authenticated. */
  async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const method = request.method as 'GET' | 'POST' | 'DELETE';
    let message: InspectedMessage | undefined;
    let body: Buffer | undefined;
    if (method === 'POST') {
      body = Buffer.isBuffer(request.body) ? request.body : undefined;
      if (body === undefined || body.length === 0) {
        return this.#error(
          reply,
          'POST',
          400,
          null,
          JSON_RPC.parseError,
          'Parse error: empty body',
        );
      }
      const inspected = inspectMessage(body);
      if (!inspected.ok) {
        const e = inspected.error;
        return this.#error(reply, 'POST', e.status, e.id, e.code, e.message);
      }
      message = inspected.message;
    }
    const label = message === undefined ? method : (message.method ?? 'response');
    const id = message?.id ?? null;

    if (this.#o.bridge) {
      let era: DownstreamEraName = 'legacy';
      if (body !== undefined && mayBeModern(request.headers, body)) {
        const classified = classifyDownstream(
          'POST',
          request.headers,
          JSON.parse(body.toString('utf8')),
        );
        if (classified.era === 'refused') {
          const r = classified.refusal;
          this.#o.metrics.refusal(this.#name, 'header-mismatch');
          return this.#error(reply, label, r.status, id, r.code, r.message, r.data);
        }
        era = classified.era;
      }
      let bridged: boolean;
      try {
        bridged = await this.#o.bridge.needed(era);
      } catch (error) {
        return this.#failure(reply, label, id, error);
      }
      if (bridged) return this.#o.bridge.handle(request, reply, era, message, body);
    }

    const sessionHeader = request.headers['mcp-session-id'];
    if (Array.isArray(sessionHeader)) {
      return this.#error(
        reply,
        label,
        400,
        id,
        JSON_RPC.invalidRequest,
        'Bad Request: one Mcp-Session-Id only',
      );
    }
    const sessionId = sessionHeader;
    const principal = principalOf(request.auth);
    if (sessionId !== undefined) {
      let bound: string | undefined;
      try {
        bound = await this.#o.sessions.get(this.#name, sessionId);
      } catch (error) {
        return this.#failure(reply, label, id, error);
      }
      if (bound !== principal) {
        // Expired or evicted: what the upstream holds for it (a stdio child) goes too.
        if (bound === undefined) void this.#o.upstream.release?.(sessionId).catch(() => {});
        // Unknown, expired, or opened by someone else: the same answer, so an id cannot be probed.
        this.#o.metrics.refusal(this.#name, 'session-not-found');
        return this.#error(reply, label, 404, id, JSON_RPC.sessionNotFound, 'Session not found');
      }
    }
    const ctx: GuardContext = { upstream: this.#name, sessionId, principal: request.auth?.userId };

    if (message?.method === 'tools/call') {
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
          upstream: this.#name,
          route: this.#name,
          method: label,
          resourceMetadataUrl: this.#o.resourceMetadataUrl,
        });
        return;
      }
    }

    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    let response: UpstreamResponse;
    const started = performance.now();
    try {
      response = await this.#o.upstream.send({
        method,
        headers: this.#o.headers.forwardable(request.headers),
        body,
        principal,
        signal: abort.signal,
        longLived: method === 'GET',
      });
    } catch (error) {
      return this.#failure(reply, label, id, error);
    }
    this.#o.metrics.upstreamLatency(this.#name, (performance.now() - started) / 1000);

    try {
      await this.#trackSession(method, sessionId, principal, response);
    } catch (error) {
      response.body.destroy();
      return this.#failure(reply, label, id, error);
    }

    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(response.headers)) {
      if (v !== undefined && !NOT_RETURNED.has(k)) headers[k] = v;
    }
    const contentType = single(response.headers['content-type'])?.toLowerCase() ?? '';
    const listCursor = message?.method === 'tools/list' ? { cursor: message.cursor } : undefined;
    if (contentType.startsWith('text/event-stream')) {
      return this.#stream(reply, label, response, headers, ctx, listCursor, abort);
    }
    if (contentType.includes('json')) {
      let bytes: Buffer;
      try {
        bytes = await readUpstreamBody(this.#name, response, this.#o.maxResponseBytes);
      } catch (error) {
        return this.#failure(reply, label, id, error);
      }
      this.#o.metrics.request(this.#name, label, response.status);
      // Most answers (a tools/call result) hold nothing to act on: they go out as received,
      // never decoded. The test runs on the bytes, with the same escape rule as on text.
      const candidate =
        bytes.includes('"tools"') || bytes.includes('\\u') || bytes.includes('list_changed');
      const out = candidate
        ? await this.#rewriteJsonBody(ctx, bytes.toString('utf8'), listCursor)
        : bytes;
      reply.code(response.status).headers(headers).send(out);
      return;
    }
    this.#o.metrics.request(this.#name, label, response.status);
    reply.code(response.status).headers(headers).send(response.body);
  }

  async #trackSession(
    method: string,
    sessionId: string | undefined,
    principal: string,
    response: UpstreamResponse,
  ): Promise<void> {
    const sessions = this.#o.sessions;
    const issued = single(response.headers['mcp-session-id']);
    if (sessionId === undefined && issued !== undefined && response.status < 300) {
      if (!(await sessions.setIfAbsent(this.#name, issued, principal))) {
        if ((await sessions.get(this.#name, issued)) !== principal) {
          throw new GatewayError(
            'upstream-unavailable',
            `upstream "${this.#name}" issued a session id that is bound to another caller`,
          );
        }
      }
    } else if (sessionId !== undefined) {
      const ended = (method === 'DELETE' && response.status < 300) || response.status === 404;
      if (ended) await sessions.delete(this.#name, sessionId);
    }
  }

  /**
   * One upstream message (a JSON body or an SSE event's data): the guard rewrites tools/list
   * results, list_changed is reported; everything else is returned as undefined (unchanged).
   */
  async #rewriteMessage(
    ctx: GuardContext,
    text: string,
    listCursor: { cursor: string | undefined } | undefined,
  ): Promise<string | undefined> {
    if (listCursor !== undefined && mayContain(text, '"tools"')) {
      // The answer to this request's tools/list: straight to the guard, which may serve it
      // from its byte-level cache without parsing.
      return (await this.#o.guard.rewriteToolsList(ctx, text, listCursor.cursor)).text;
    }
    const toolsCandidate = mayContain(text, '"tools"');
    const changedCandidate = mayContain(text, 'list_changed');
    if (!toolsCandidate && !changedCandidate) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (isToolsResult(parsed)) {
      // A tool list outside an answer to tools/list here (a replay on a resumed stream, or an
      // upstream answering an earlier request on another stream): verified all the same.
      return (await this.#o.guard.rewriteToolsList(ctx, text, undefined)).text;
    }
    if ((parsed as { method?: unknown } | null)?.method === LIST_CHANGED) {
      this.#o.guard.listChanged(this.#name);
    }
    return undefined;
  }

  async #rewriteJsonBody(
    ctx: GuardContext,
    text: string,
    listCursor: { cursor: string | undefined } | undefined,
  ): Promise<string> {
    const first = text.trimStart()[0];
    if (first !== '[') return (await this.#rewriteMessage(ctx, text, listCursor)) ?? text;
    // A JSON array (batched responses of the 2025-03-26 revision): each element on its own.
    if (!mayContain(text, '"tools"') && !mayContain(text, 'list_changed')) return text;
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      return text;
    }
    if (!Array.isArray(items)) return text;
    const out: string[] = [];
    for (const item of items) {
      const itemText = JSON.stringify(item);
      out.push((await this.#rewriteMessage(ctx, itemText, undefined)) ?? itemText);
    }
    return `[${out.join(',')}]`;
  }

  async #stream(
    reply: FastifyReply,
    label: string,
    response: UpstreamResponse,
    headers: Record<string, string | string[]>,
    ctx: GuardContext,
    listCursor: { cursor: string | undefined } | undefined,
    abort: AbortController,
  ): Promise<void> {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(response.status, headers);
    res.flushHeaders();
    this.#o.metrics.request(this.#name, label, response.status);
    try {
      const events = rewriteEventStream(
        response.body as AsyncIterable<Buffer>,
        (data) => this.#rewriteMessage(ctx, data, listCursor),
        {
          maxEventBytes: this.#o.maxEventBytes,
          onOverflow: () =>
            this.#o.logger.warn(
              { upstream: this.#name },
              'upstream SSE event over the size limit: stream cut',
            ),
        },
      );
      for await (const chunk of events) {
        if (!res.write(chunk)) await once(res, 'drain', { signal: abort.signal });
      }
    } catch (error) {
      if (!abort.signal.aborted) {
        this.#o.logger.warn(
          { upstream: this.#name, error: error instanceof Error ? error.message : String(error) },
          'upstream SSE stream failed',
        );
      }
    } finally {
      response.body.destroy();
      res.end();
    }
  }

  #failure(reply: FastifyReply, label: string, id: JsonRpcId, error: unknown): void {
    const f = upstreamFailure(this.#o.logger, this.#name, error, 'request failed');
    this.#error(reply, label, f.status, id, f.rpc.code, f.rpc.message, f.rpc.data);
  }

  #error(
    reply: FastifyReply,
    label: string,
    status: number,
    id: JsonRpcId,
    code: number,
    message: string,
    data?: unknown,
  ): void {
    this.#o.metrics.request(this.#name, label, status);
    reply
      .code(status)
      .type('application/json')
      .header('cache-control', 'no-store')
      .send(jsonRpcError(id, code, message, data));
  }
}
