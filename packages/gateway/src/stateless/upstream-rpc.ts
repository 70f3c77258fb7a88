import type { Logger } from '@etdi/core';
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { rewriteEventStream } from '../proxy/sse-rewriter.js';
import { readUpstreamBody } from '../upstream/read-body.js';
import type { Upstream, UpstreamResponse } from '../upstream/upstream.js';
import { GATEWAY_VERSION } from '../version.js';
import {
  LEGACY_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSION,
  modernRequestHeaders,
  withEnvelope,
  SERVER_INFO_META,
} from './era.js';

/** The MCP era the gateway speaks to one upstream. */
export type UpstreamEra = 'session' | 'stateless';

/** How an upstream's era is chosen (`upstreams.<name>.protocol`). */
export type UpstreamProtocol = UpstreamEra | 'auto';

/** One JSON-RPC request or notification the gateway sends on its own behalf. */
export interface RpcMessage {
  readonly method: string;
  readonly params?: Readonly<Record<string, unknown>> | undefined;
}

/** An upstream's JSON-RPC answer to one request. */
export interface RpcAnswer {
  /** The response message exactly as the upstream sent it (its `id` is the gateway's). */
  readonly text: string;
  readonly result: Record<string, unknown> | undefined;
  readonly error: { code: number; message: string; data?: unknown } | undefined;
  /** The id the gateway used upstream, to restore the caller's. */
  readonly id: number;
}

/** What an upstream says about itself: its `initialize` or `server/discover` result. */
export interface UpstreamDescription {
  readonly era: UpstreamEra;
  readonly protocolVersion: string;
  readonly capabilities: Readonly<Record<string, unknown>>;
  readonly serverInfo: Readonly<Record<string, unknown>> | undefined;
  readonly instructions: string | undefined;
}

/**
 * A message an upstream sent without being asked: on a response stream or the GET stream of the
 * principal's upstream session, or (principal `undefined`: for every caller) on the
 * `subscriptions/listen` stream of a stateless upstream.
 */
export type UpstreamNotificationListener = (
  upstream: string,
  principal: string | undefined,
  message: { readonly method: string; readonly params?: unknown },
) => void;

/** Options of {@link UpstreamRpc}. */
export interface UpstreamRpcOptions {
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /** `protocol` of each upstream; absent means `auto`. */
  readonly protocols: ReadonlyMap<string, UpstreamProtocol>;
  readonly logger: Logger;
  readonly maxResponseBytes: number;
  readonly maxEventBytes: number;
  /** Upstream sessions held at once (one per principal and upstream); the oldest idle goes. */
  readonly maxSessions?: number;
  /** An upstream session unused this long is ended (DELETE). Default 10 minutes. */
  readonly sessionIdleMs?: number;
  /** Under `auto`, how long an upstream's era is trusted before it is probed again. Default 5 min. */
  readonly probeTtlMs?: number;
  /** The gateway's `clientInfo` upstream. */
  readonly clientInfo?: { readonly name: string; readonly version: string };
}

interface HeldSession {
  readonly upstream: string;
  /** The caller it is held for: a stdio upstream counts it against that caller's quota. */
  readonly principal: string;
  readonly id: string | undefined;
  readonly description: UpstreamDescription;
  readonly stream: AbortController;
}

const JSON_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The gateway as an MCP client of its upstreams, for the paths where it cannot simply pass a
 * request through: the `/mcp` endpoint (one downstream conversation, many upstreams) and a
 * downstream era the upstream does not speak. It speaks each upstream's era (`protocol`, or
 * what `server/discover` shows under `auto`): with a session-based upstream it holds one
 * upstream session per principal (opened with `initialize`, re-opened when the upstream
 * forgets it, its GET stream read for notifications); with a stateless one it puts the
 * 2026-07-28 envelope and headers on every request. Requests get ids of the gateway's own, so
 * two callers sharing an upstream session never collide.
 *
 * It carries messages only: verification, call checks and scopes are the caller's, through the
 * same guard as the pass-through path.
 */
export class UpstreamRpc {
  readonly #o: UpstreamRpcOptions;
  /** Most recently used last. */
  readonly #sessions = new Map<string, { pending: Promise<HeldSession>; usedAt: number }>();
  readonly #eras = new Map<string, { pending: Promise<UpstreamDescription>; at: number }>();
  readonly #listeners = new Set<UpstreamNotificationListener>();
  /** Open `subscriptions/listen` streams of stateless upstreams. */
  readonly #watching = new Map<string, AbortController>();
  readonly #clientInfo: { name: string; version: string };
  #nextId = 1;
  #closed = false;

  constructor(options: UpstreamRpcOptions) {
    this.#o = options;
    this.#clientInfo = {
      ...(options.clientInfo ?? { name: 'etdi-gateway', version: GATEWAY_VERSION }),
    };
  }

  /** Listens to upstream notifications; returns the function that stops listening. */
  onNotification(listener: UpstreamNotificationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The era the gateway speaks to `upstream` (probed once under `auto`). */
  async era(upstream: string): Promise<UpstreamEra> {
    return (await this.#discovery(upstream)).era;
  }

  /**
   * What `upstream` says about itself to `principal`: its `initialize` result (session era, the
   * principal's upstream session) or its `server/discover` result (stateless era).
   */
  async describe(upstream: string, principal: string): Promise<UpstreamDescription> {
    const discovered = await this.#discovery(upstream);
    if (discovered.era === 'stateless') return discovered;
    return (await this.#session(upstream, principal)).description;
  }

  /**
   * Makes sure `upstream`'s notifications reach the listeners: a session-based upstream sends
   * them on the GET stream of the principal's session (opened with the session), a stateless one
   * on one `subscriptions/listen` stream the gateway keeps open for every caller (list_changed of
   * tools and prompts). Returns once the stream is asked for; it is re-opened by the next call
   * after it ends.
   */
  async watch(upstream: string, principal: string): Promise<void> {
    if ((await this.era(upstream)) === 'session') {
      await this.#session(upstream, principal);
      return;
    }
    if (this.#watching.has(upstream) || this.#closed) return;
    const controller = new AbortController();
    this.#watching.set(upstream, controller);
    const message = {
      method: 'subscriptions/listen',
      params: { notifications: { toolsListChanged: true, promptsListChanged: true } },
    };
    void (async () => {
      try {
        const response = await this.#upstream(upstream).send({
          method: 'POST',
          headers: { ...JSON_HEADERS, ...modernRequestHeaders(message) },
          body: Buffer.from(
            JSON.stringify({
              jsonrpc: '2.0',
              id: this.#nextId++,
              method: message.method,
              params: withEnvelope(message.params, this.#clientInfo),
            }),
          ),
          signal: controller.signal,
          longLived: true,
        });
        const type = single(response.headers['content-type']) ?? '';
        if (response.status === 200 && type.startsWith('text/event-stream')) {
          await this.#drain(upstream, undefined, response, undefined, undefined);
        } else {
          response.body.resume();
        }
      } catch (error) {
        if (!controller.signal.aborted) {
          this.#o.logger.debug(
            { upstream, error: error instanceof Error ? error.message : String(error) },
            'upstream subscriptions/listen stream ended',
          );
        }
      } finally {
        if (this.#watching.get(upstream) === controller) this.#watching.delete(upstream);
      }
    })();
  }

  /** Sends one request to `upstream` on behalf of `principal` and reads its answer. */
  async request(
    upstream: string,
    principal: string,
    message: RpcMessage,
    signal?: AbortSignal,
  ): Promise<RpcAnswer> {
    const id = this.#nextId++;
    const era = await this.era(upstream);
    if (era === 'stateless') {
      const response = await this.#post(
        upstream,
        modernRequestHeaders(message),
        {
          jsonrpc: '2.0',
          id,
          method: message.method,
          params: withEnvelope(message.params, this.#clientInfo),
        },
        signal,
        principal,
      );
      return this.#answer(upstream, principal, response, id, undefined);
    }
    for (let attempt = 0; ; attempt++) {
      const pending = this.#session(upstream, principal);
      const session = await pending;
      const response = await this.#post(
        upstream,
        this.#sessionHeaders(session),
        { jsonrpc: '2.0', id, method: message.method, params: message.params },
        signal,
        principal,
      );
      if (response.status === 404 && session.id !== undefined && attempt === 0) {
        // The upstream forgot the session (restarted, expired): open a new one, once.
        response.body.resume();
        this.#forget(upstream, principal, pending);
        session.stream.abort();
        continue;
      }
      return this.#answer(upstream, principal, response, id, session);
    }
  }

  /** Sends one notification (no answer is read beyond the status). */
  async notify(upstream: string, principal: string, message: RpcMessage): Promise<void> {
    const era = await this.era(upstream);
    const body = {
      jsonrpc: '2.0',
      method: message.method,
      params: era === 'stateless' ? withEnvelope(message.params, this.#clientInfo) : message.params,
    };
    const headers =
      era === 'stateless'
        ? modernRequestHeaders(message)
        : this.#sessionHeaders(await this.#session(upstream, principal));
    const response = await this.#post(upstream, headers, body, undefined, principal);
    response.body.resume();
  }

  /** Ends every held upstream session (DELETE) and stops reading their streams. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#watching.values()) controller.abort();
    this.#watching.clear();
    const held = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(
      held.map(async ({ pending }) => {
        const session = await pending.catch(() => undefined);
        if (session) await this.#end(session);
      }),
    );
  }

  // ---------------------------------------------------------------- internals

  #upstream(name: string): Upstream {
    const upstream = this.#o.upstreams.get(name);
    if (!upstream)
      throw new GatewayError('not-found', `no upstream is named ${JSON.stringify(name)}`);
    return upstream;
  }

  #sessionHeaders(session: HeldSession): Record<string, string> {
    return {
      ...JSON_HEADERS,
      'mcp-protocol-version': session.description.protocolVersion,
      ...(session.id === undefined ? {} : { 'mcp-session-id': session.id }),
    };
  }

  async #post(
    upstream: string,
    headers: Record<string, string>,
    body: unknown,
    signal?: AbortSignal,
    principal?: string,
  ): Promise<UpstreamResponse> {
    if (this.#closed) throw new GatewayError('upstream-unavailable', 'the gateway is closing');
    return this.#upstream(upstream).send({
      method: 'POST',
      ...(principal === undefined ? {} : { principal }),
      headers: { ...JSON_HEADERS, ...headers },
      body: Buffer.from(JSON.stringify(body)),
      signal: signal ?? new AbortController().signal,
      longLived: false,
    });
  }

  /** `server/discover` once per upstream under `auto`; a fixed era otherwise. */
  #discovery(upstream: string): Promise<UpstreamDescription> {
    const now = Date.now();
    const known = this.#eras.get(upstream);
    const auto = (this.#o.protocols.get(upstream) ?? 'auto') === 'auto';
    if (known && !(auto && now - known.at > (this.#o.probeTtlMs ?? 300_000))) return known.pending;
    const pending = this.#discover(upstream);
    const entry = { pending, at: now };
    this.#eras.set(upstream, entry);
    // A failed probe (upstream down) is asked again next time.
    pending.catch(() => {
      if (this.#eras.get(upstream) === entry) this.#eras.delete(upstream);
    });
    return pending;
  }

  async #discover(upstream: string): Promise<UpstreamDescription> {
    const protocol = this.#o.protocols.get(upstream) ?? 'auto';
    const legacy: UpstreamDescription = {
      era: 'session',
      protocolVersion: LEGACY_PROTOCOL_VERSION,
      capabilities: {},
      serverInfo: undefined,
      instructions: undefined,
    };
    if (protocol === 'session') return legacy;
    const id = this.#nextId++;
    const message = { method: 'server/discover' };
    const response = await this.#post(upstream, modernRequestHeaders(message), {
      jsonrpc: '2.0',
      id,
      method: message.method,
      params: withEnvelope(undefined, this.#clientInfo),
    });
    let answer: RpcAnswer | undefined;
    try {
      answer = await this.#answer(upstream, '', response, id, undefined);
    } catch (error) {
      if (protocol === 'stateless') throw error;
      // Not JSON-RPC at all (a 2025 server answering 400 or 404 with text): a legacy server.
    }
    const result = answer?.result;
    const versions = Array.isArray(result?.supportedVersions) ? result.supportedVersions : [];
    if (result && versions.includes(MODERN_PROTOCOL_VERSION)) {
      const meta = isObject(result._meta) ? result._meta : {};
      return {
        era: 'stateless',
        protocolVersion: MODERN_PROTOCOL_VERSION,
        capabilities: isObject(result.capabilities) ? result.capabilities : {},
        serverInfo: isObject(meta[SERVER_INFO_META]) ? meta[SERVER_INFO_META] : undefined,
        instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
      };
    }
    if (protocol === 'stateless') {
      throw new GatewayError(
        'upstream-unavailable',
        `upstream "${upstream}" is configured with protocol: stateless but does not offer ${MODERN_PROTOCOL_VERSION} in server/discover; set protocol: session or auto`,
      );
    }
    this.#o.logger.info({ upstream }, 'upstream speaks the session-based MCP revisions');
    return legacy;
  }

  #session(upstream: string, principal: string): Promise<HeldSession> {
    const key = `${upstream}\u0000${principal}`;
    const now = Date.now();
    const held = this.#sessions.get(key);
    const idleMs = this.#o.sessionIdleMs ?? 600_000;
    if (held && now - held.usedAt <= idleMs) {
      this.#sessions.delete(key);
      this.#sessions.set(key, { pending: held.pending, usedAt: now });
      this.#expire(now, 0);
      return held.pending;
    }
    this.#expire(now, 1);
    const pending = this.#open(upstream, principal);
    const entry = { pending, usedAt: now };
    this.#sessions.set(key, entry);
    pending.catch(() => {
      if (this.#sessions.get(key) === entry) this.#sessions.delete(key);
    });
    return pending;
  }

  /**
   * Ends the sessions unused for `sessionIdleMs`, and the oldest ones until `room` more fit
   * under `maxSessions`.
   */
  #expire(now: number, room: number): void {
    const idleMs = this.#o.sessionIdleMs ?? 600_000;
    const max = this.#o.maxSessions ?? 1024;
    for (const [key, held] of this.#sessions) {
      if (this.#sessions.size + room <= max && now - held.usedAt <= idleMs) break;
      this.#sessions.delete(key);
      void held.pending.then((s) => this.#end(s)).catch(() => {});
    }
  }

  /** Drops a held session (the upstream forgot it), unless another replaced it meanwhile. */
  #forget(upstream: string, principal: string, pending: Promise<HeldSession>): void {
    const key = `${upstream}\u0000${principal}`;
    if (this.#sessions.get(key)?.pending === pending) this.#sessions.delete(key);
  }

  async #open(upstream: string, principal: string): Promise<HeldSession> {
    const id = this.#nextId++;
    const response = await this.#post(
      upstream,
      {},
      {
        jsonrpc: '2.0',
        id,
        method: 'initialize',
        params: {
          protocolVersion: LEGACY_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: this.#clientInfo,
        },
      },
      undefined,
      principal,
    );
    const sessionId = single(response.headers['mcp-session-id']);
    const answer = await this.#answer(upstream, principal, response, id, undefined);
    const result = answer.result;
    if (!result || typeof result.protocolVersion !== 'string') {
      throw new GatewayError(
        'upstream-unavailable',
        `upstream "${upstream}" refused initialize${answer.error ? `: ${answer.error.message}` : ''}`,
      );
    }
    const session: HeldSession = {
      upstream,
      principal,
      id: sessionId,
      description: {
        era: 'session',
        protocolVersion: result.protocolVersion,
        capabilities: isObject(result.capabilities) ? result.capabilities : {},
        serverInfo: isObject(result.serverInfo) ? result.serverInfo : undefined,
        instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
      },
      stream: new AbortController(),
    };
    const initialized = await this.#post(
      upstream,
      this.#sessionHeaders(session),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      undefined,
      principal,
    );
    initialized.body.resume();
    if (sessionId !== undefined) void this.#listen(upstream, principal, session);
    return session;
  }

  /** Reads the session's GET stream (server notifications such as list_changed) until it ends. */
  async #listen(upstream: string, principal: string, session: HeldSession): Promise<void> {
    try {
      const response = await this.#upstream(upstream).send({
        method: 'GET',
        principal,
        headers: { ...this.#sessionHeaders(session), accept: 'text/event-stream' },
        body: undefined,
        signal: session.stream.signal,
        longLived: true,
      });
      const type = single(response.headers['content-type']) ?? '';
      if (response.status !== 200 || !type.startsWith('text/event-stream')) {
        response.body.resume();
        return;
      }
      await this.#drain(upstream, principal, response, undefined, session);
    } catch (error) {
      if (!session.stream.signal.aborted) {
        this.#o.logger.debug(
          { upstream, error: error instanceof Error ? error.message : String(error) },
          'upstream notification stream ended',
        );
      }
    }
  }

  async #end(session: HeldSession): Promise<void> {
    session.stream.abort();
    if (session.id === undefined) return;
    try {
      const response = await this.#upstream(session.upstream).send({
        method: 'DELETE',
        principal: session.principal,
        headers: this.#sessionHeaders(session),
        body: undefined,
        signal: AbortSignal.timeout(5_000),
        longLived: false,
      });
      response.body.resume();
    } catch {
      // The upstream is gone already: nothing to end.
    }
  }

  /** The answer to request `id`: a JSON body, or the matching message of an SSE stream. */
  async #answer(
    upstream: string,
    principal: string,
    response: UpstreamResponse,
    id: number,
    session: HeldSession | undefined,
  ): Promise<RpcAnswer> {
    const type = single(response.headers['content-type'])?.toLowerCase() ?? '';
    if (type.startsWith('text/event-stream')) {
      const answer = await this.#drain(upstream, principal, response, id, session);
      if (answer) return answer;
      throw new GatewayError(
        'upstream-unavailable',
        `upstream "${upstream}" ended its stream without answering`,
      );
    }
    const bytes = await readUpstreamBody(upstream, response, this.#o.maxResponseBytes);
    const text = bytes.toString('utf8');
    const answer = type.includes('json') ? parseAnswer(text, id) : undefined;
    if (answer) return answer;
    throw new GatewayError(
      'upstream-unavailable',
      `upstream "${upstream}" answered HTTP ${response.status} without a JSON-RPC response`,
    );
  }

  /**
   * Reads an SSE stream: notifications go to the listeners, requests from the upstream to the
   * client are refused (the gateway does not relay them here), and the answer to `id` ends it.
   */
  async #drain(
    upstream: string,
    principal: string | undefined,
    response: UpstreamResponse,
    id: number | undefined,
    session: HeldSession | undefined,
  ): Promise<RpcAnswer | undefined> {
    let answer: RpcAnswer | undefined;
    const events = rewriteEventStream(
      response.body as AsyncIterable<Buffer>,
      (data) => {
        if (answer) return undefined;
        let message: unknown;
        try {
          message = JSON.parse(data);
        } catch {
          return undefined;
        }
        if (!isObject(message)) return undefined;
        if (typeof message.method === 'string') {
          if (message.id !== undefined && session) {
            void this.#refuseServerRequest(upstream, session, message.id);
          } else if (message.id === undefined) {
            for (const listener of this.#listeners) {
              listener(upstream, principal, { method: message.method, params: message.params });
            }
          }
          return undefined;
        }
        if (id !== undefined && message.id === id) answer = parseAnswer(data, id);
        return undefined;
      },
      { maxEventBytes: this.#o.maxEventBytes },
    );
    try {
      for await (const _ of events) {
        if (answer) break;
      }
    } finally {
      response.body.destroy();
    }
    return answer;
  }

  async #refuseServerRequest(
    upstream: string,
    session: HeldSession,
    requestId: unknown,
  ): Promise<void> {
    try {
      const response = await this.#post(upstream, this.#sessionHeaders(session), {
        jsonrpc: '2.0',
        id: requestId,
        error: {
          code: -32601,
          message:
            'The ETDI gateway does not relay requests from the server to the client on this path',
        },
      });
      response.body.resume();
    } catch {
      // Best effort: the upstream times its request out on its own.
    }
  }
}

function parseAnswer(text: string, id: number): RpcAnswer | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(message) || (message.id !== id && message.id !== null)) return undefined;
  const result = isObject(message.result) ? message.result : undefined;
  const error = isObject(message.error)
    ? {
        code: typeof message.error.code === 'number' ? message.error.code : -32603,
        message: typeof message.error.message === 'string' ? message.error.message : 'error',
        ...(message.error.data === undefined ? {} : { data: message.error.data }),
      }
    : undefined;
  if (!result && !error) return undefined;
  return { text, result, error, id };
}

/** A fresh opaque id (downstream sessions the gateway itself issues). */
export function newSessionId(): string {
  return randomUUID();
}
