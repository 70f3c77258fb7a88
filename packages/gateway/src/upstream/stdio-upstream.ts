import type { Logger } from '@etdi/core';
import { DEFAULT_STDIO_ENV, injectToken, type OAuthService } from '@etdi/oauth';
import {
  LATEST_PROTOCOL_VERSION,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { UpstreamConfig } from '../config/gateway-config.js';
import { STDIO_DEFAULTS, type StdioUpstreamConfig } from '../config/stdio-config.js';
import { GatewayError } from '../errors.js';
import { jsonRpcError, JSON_RPC } from '../proxy/json-rpc.js';
import { formatEvent } from '../proxy/sse-rewriter.js';
import {
  InitializeRefused,
  StdioSupervisor,
  type CallSink,
  type JsonRpcResponse,
  type SpawnPlan,
} from './stdio-supervisor.js';
import type { Upstream, UpstreamRequest, UpstreamResponse } from './upstream.js';
import { ProcessReaper } from './process-reaper.js';
import type { StdioMetrics } from './stdio-metrics.js';

/** Options of {@link StdioUpstream}. */
export interface StdioUpstreamOptions {
  /** The upstream's configuration; its `stdio` member must be set. */
  readonly config: UpstreamConfig;
  readonly logger: Logger;
  /** The gateway's OAuth service, when the upstream has `oauth` (its token goes in the env). */
  readonly oauth?: OAuthService;
  /**
   * Where PATH, HOME and LANG are copied from (nothing else is). Default `process.env`.
   */
  readonly parentEnv?: Readonly<Record<string, string | undefined>>;
  /** How long a session whose child was stopped for idleness is remembered. Default 24 h. */
  readonly sessionTtlMs?: number;
  /** Where to report children and unexpected exits (the gateway's registry). */
  readonly metrics?: StdioMetrics;
}

interface Session {
  readonly id: string;
  /** Who opened it (undefined: the gateway itself, for the era bridge or `/mcp`). */
  readonly principal: string | undefined;
  readonly createdAt: number;
  readonly supervisor: StdioSupervisor;
  /** The downstream GET stream, where the child's own requests and notifications go. */
  stream: PassThrough | undefined;
  /** Messages for a GET stream not open yet (bounded). */
  readonly backlog: JSONRPCMessage[];
  /** The caller's request ids in flight, with the supervisor's ids they were sent under. */
  readonly inflight: Map<RequestId, number>;
  /** In-flight requests whose client accepts SSE: where the child's messages go without GET. */
  readonly callStreams: Set<(message: JSONRPCMessage) => void>;
  lastSeen: number;
}

// Messages held for a GET stream that is not open: enough for a burst, not a leak.
const MAX_BACKLOG = 256;
/**
 * What a shared child may tell every session: that a list changed, which holds nothing of any
 * caller. Its log messages, resource updates and progress may carry one caller's data.
 */
const FOR_EVERY_SESSION = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
]);
const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream';

function parseMessage(body: Buffer | undefined): JSONRPCMessage | undefined {
  if (body === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as JSONRPCMessage)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An SSE answer whose events are written to `stream`. */
function sse(sessionId: string, stream: PassThrough): UpstreamResponse {
  return {
    status: 200,
    headers: { 'content-type': SSE_TYPE, 'cache-control': 'no-cache', 'mcp-session-id': sessionId },
    body: stream,
  };
}

/** A request, a notification, or a response (result or error) to one of the child's requests. */
function isMessage(message: JSONRPCMessage): boolean {
  const m = message as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return false;
  if (typeof m.method === 'string') return true;
  return (typeof m.id === 'string' || typeof m.id === 'number') && ('result' in m || 'error' in m);
}

function isRequest(message: JSONRPCMessage): message is JSONRPCRequest {
  return 'method' in message && 'id' in message;
}

function isNotification(message: JSONRPCMessage): message is JSONRPCNotification {
  return 'method' in message && !('id' in message);
}

/**
 * A stdio MCP server behind the gateway. Downstream it answers Streamable HTTP as an MCP server
 * does (session-based revisions): `initialize` mints the `Mcp-Session-Id` and starts the
 * session's own child (`isolation: session`) or joins the one shared child
 * (`isolation: shared`); a request is answered with JSON, or with SSE when the client accepts
 * it and the server reports progress first; the child's own requests and notifications go to
 * the session's GET stream; DELETE stops the child. Everything else the gateway does
 * (authentication, the guard's tools/list rewriting and tools/call checks, audit, session
 * binding) happens above the `Upstream` seam, exactly as for an HTTP upstream.
 *
 * Children get only the configured environment (plus PATH, HOME, LANG and, with `oauth`, the
 * gateway's upstream token through `@etdi/oauth`'s stdio injection), are restarted with capped
 * exponential backoff when they die, killed when they do not answer `initialize` in time,
 * stopped when idle, and at most `maxProcesses` run at once (then 503 with `Retry-After`).
 */
export class StdioUpstream implements Upstream {
  readonly name: string;
  readonly #config: UpstreamConfig;
  readonly #stdio: StdioUpstreamConfig;
  readonly #o: StdioUpstreamOptions;
  readonly #sessions = new Map<string, Session>();
  /** Children of sessions still in their `initialize` handshake. */
  readonly #starting = new Set<StdioSupervisor>();
  /** Initializes in progress, in all and per principal (they hold a place under the caps). */
  #opening = 0;
  readonly #openingBy = new Map<string, number>();
  readonly #shared: StdioSupervisor | undefined;
  readonly #reaper: NodeJS.Timeout;
  readonly #sessionTtlMs: number;
  readonly #watchdog: ProcessReaper;
  #closed = false;

  constructor(options: StdioUpstreamOptions) {
    const { config } = options;
    if (!config.stdio) {
      throw new GatewayError('invalid-config', `upstream "${config.name}" has no command`);
    }
    if (config.oauth && !options.oauth) {
      throw new GatewayError(
        'internal-error',
        `upstream "${config.name}" has oauth but no OAuth service was given`,
      );
    }
    if (config.oauth && options.oauth) options.oauth.prepare(config.oauth);
    this.name = config.name;
    this.#config = config;
    this.#stdio = config.stdio;
    this.#o = options;
    this.#sessionTtlMs = options.sessionTtlMs ?? 24 * 3600_000;
    this.#watchdog = ProcessReaper.acquire(options.logger);
    options.metrics?.add(this);
    if (this.#stdio.isolation === 'shared') {
      this.#shared = this.#supervisor(
        {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'etdi-gateway', version: '0' },
        },
        (message) => this.#fromShared(message),
        () => [...this.#sessions.values()].some((s) => s.stream !== undefined),
      );
    }
    const every = Math.max(
      1000,
      Math.min(this.#stdio.idleTimeoutMs / 2, this.#stdio.maxSessionLifetimeMs / 2, 30_000),
    );
    this.#reaper = setInterval(() => this.#reap(), every);
    this.#reaper.unref();
  }

  /** Process ids of the running children (for operators and tests). */
  pids(): number[] {
    const supervisors = this.#shared
      ? [this.#shared]
      : [...this.#sessions.values()].map((s) => s.supervisor);
    return supervisors.map((s) => s.pid).filter((pid): pid is number => pid !== undefined);
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    if (this.#closed)
      throw new GatewayError('upstream-unavailable', `upstream "${this.name}" is closed`);
    const sessionId = request.headers['mcp-session-id'];
    if (request.method === 'POST') {
      const message = parseMessage(request.body);
      if (message === undefined || !isMessage(message)) {
        return this.#error(
          400,
          null,
          JSON_RPC.invalidRequest,
          'Invalid Request: not a JSON-RPC 2.0 request, notification or response',
        );
      }
      if (isRequest(message) && message.method === 'initialize') {
        if (sessionId !== undefined) {
          return this.#error(
            400,
            message.id,
            JSON_RPC.invalidRequest,
            'Invalid Request: the session is already initialized',
          );
        }
        return this.#initialize(message, request.principal);
      }
      const session = this.#session(sessionId, request, isRequest(message) ? message.id : null);
      if (!('id' in session)) return session;
      if (isRequest(message)) return this.#call(session, message, request);
      this.#deliverToChild(session, message);
      return { status: 202, headers: { 'mcp-session-id': session.id }, body: Readable.from([]) };
    }
    const session = this.#session(sessionId, request, null);
    if (!('id' in session)) return session;
    if (request.method === 'DELETE') {
      await this.#end(session);
      return { status: 200, headers: {}, body: Readable.from([]) };
    }
    return this.#openStream(session, request);
  }

  async release(sessionId: string): Promise<void> {
    const session = this.#sessions.get(sessionId);
    if (session) await this.#end(session);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reaper);
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const session of sessions) session.stream?.end();
    await Promise.all([
      ...sessions.map((s) => s.supervisor.close()),
      ...[...this.#starting].map((s) => s.close()),
      ...(this.#shared ? [this.#shared.close()] : []),
    ]);
    this.#watchdog.release();
    this.#o.metrics?.remove(this);
  }

  /** The session a request names: a 400 or 404 answer when there is none. */
  #session(
    sessionId: string | undefined,
    request: UpstreamRequest,
    id: RequestId | null,
  ): Session | UpstreamResponse {
    if (sessionId === undefined) {
      return this.#error(
        400,
        id,
        JSON_RPC.invalidRequest,
        'Bad Request: Mcp-Session-Id header is required',
      );
    }
    const session = this.#sessions.get(sessionId);
    const stranger =
      session?.principal !== undefined &&
      request.principal !== undefined &&
      session.principal !== request.principal;
    if (!session || stranger) {
      return this.#error(404, id, JSON_RPC.sessionNotFound, 'Session not found');
    }
    const version = request.headers['mcp-protocol-version'];
    const negotiated = session.supervisor.initializeResult?.protocolVersion;
    if (version !== undefined && negotiated !== undefined && version !== negotiated) {
      return this.#error(
        400,
        id,
        JSON_RPC.invalidRequest,
        `Bad Request: MCP-Protocol-Version ${version} is not the negotiated ${String(negotiated)}`,
      );
    }
    session.lastSeen = Date.now();
    return session;
  }

  async #initialize(
    message: JSONRPCRequest,
    principal: string | undefined,
  ): Promise<UpstreamResponse> {
    const refused = this.#admit(message.id, principal);
    if (refused) return refused;
    this.#opening++;
    if (principal !== undefined) {
      this.#openingBy.set(principal, (this.#openingBy.get(principal) ?? 0) + 1);
    }
    try {
      return await this.#open(message, principal);
    } finally {
      this.#opening--;
      if (principal !== undefined) {
        const left = (this.#openingBy.get(principal) ?? 1) - 1;
        if (left > 0) this.#openingBy.set(principal, left);
        else this.#openingBy.delete(principal);
      }
    }
  }

  /**
   * Makes room for one more session of `principal`, or a 503 when there is none: past
   * `maxSessionsPerPrincipal` the caller's own least recently used session with nothing in
   * flight ends (never another caller's); past `maxSessions` the upstream refuses.
   */
  #admit(id: RequestId, principal: string | undefined): UpstreamResponse | undefined {
    const quota = this.#stdio.maxSessionsPerPrincipal;
    if (principal !== undefined) {
      const own = [...this.#sessions.values()].filter((s) => s.principal === principal);
      let held = own.length + (this.#openingBy.get(principal) ?? 0);
      const idle = own.filter((s) => s.inflight.size === 0).sort((a, b) => a.lastSeen - b.lastSeen);
      for (const session of idle) {
        if (held < quota) break;
        this.#o.logger.info(
          { upstream: this.name, session: session.id, maxSessionsPerPrincipal: quota },
          'stdio upstream: a caller opened more than maxSessionsPerPrincipal sessions: its least recently used one ended',
        );
        void this.#end(session);
        held--;
      }
      if (held >= quota) {
        return this.#unavailable(
          id,
          'max-sessions-per-principal',
          `Service Unavailable: this caller holds its maximum of ${quota} sessions of upstream "${this.name}", each with a request in flight; retry later`,
        );
      }
    }
    if (this.#sessions.size + this.#opening >= this.#stdio.maxSessions) {
      return this.#unavailable(
        id,
        'max-sessions',
        `Service Unavailable: upstream "${this.name}" holds its maximum of ${this.#stdio.maxSessions} sessions; retry later`,
      );
    }
    return undefined;
  }

  async #open(message: JSONRPCRequest, principal: string | undefined): Promise<UpstreamResponse> {
    const id = randomUUID();
    let supervisor = this.#shared;
    if (!supervisor) {
      const full = this.#full(message.id);
      if (full) return full;
      const params = (message.params ?? {}) as Record<string, unknown>;
      supervisor = this.#supervisor(
        params,
        (m) => this.#deliverToSession(id, m),
        () => this.#sessions.get(id)?.stream !== undefined,
      );
      // Holds a slot from now: concurrent initializes must not overshoot maxProcesses.
      this.#starting.add(supervisor);
    }
    try {
      await supervisor.ensure();
    } catch (error) {
      if (supervisor !== this.#shared) await supervisor.close();
      if (error instanceof InitializeRefused) {
        return this.#json(200, undefined, { ...error.response, id: message.id });
      }
      throw error;
    } finally {
      this.#starting.delete(supervisor);
    }
    if (this.#closed) {
      await supervisor.close();
      throw new GatewayError('upstream-unavailable', `upstream "${this.name}" is closed`);
    }
    const now = Date.now();
    const session: Session = {
      id,
      principal,
      createdAt: now,
      supervisor,
      stream: undefined,
      backlog: [],
      inflight: new Map(),
      callStreams: new Set(),
      lastSeen: now,
    };
    this.#sessions.set(id, session);
    return this.#json(200, id, {
      jsonrpc: '2.0',
      id: message.id,
      result: supervisor.initializeResult,
    });
  }

  /** A 503 with Retry-After when `maxProcesses` children hold their slots. */
  #full(id: RequestId | null): UpstreamResponse | undefined {
    let live = this.#starting.size;
    for (const session of this.#sessions.values()) if (session.supervisor.live) live++;
    if (live < this.#stdio.maxProcesses) return undefined;
    return this.#unavailable(
      id,
      'max-processes',
      `Service Unavailable: upstream "${this.name}" runs its maximum of ${this.#stdio.maxProcesses} processes; retry later`,
    );
  }

  /** A 503 with Retry-After, `data.reason` saying which limit was reached. */
  #unavailable(id: RequestId | null, reason: string, message: string): UpstreamResponse {
    this.#o.logger.warn(
      { upstream: this.name, reason },
      'stdio upstream at a limit: request refused',
    );
    const refused = this.#error(503, id, JSON_RPC.upstreamError, message, { reason });
    return {
      ...refused,
      headers: { ...refused.headers, 'retry-after': String(STDIO_DEFAULTS.retryAfterSec) },
    };
  }

  /** Makes sure the session's child runs (a child stopped for idleness starts again). */
  async #ready(session: Session, id: RequestId | null): Promise<UpstreamResponse | undefined> {
    const { supervisor } = session;
    if (!supervisor.live && supervisor !== this.#shared) {
      const full = this.#full(id);
      if (full) return full;
    }
    await supervisor.ensure();
    return undefined;
  }

  async #call(
    session: Session,
    message: JSONRPCRequest,
    request: UpstreamRequest,
  ): Promise<UpstreamResponse> {
    const refused = await this.#ready(session, message.id);
    if (refused) return refused;
    const acceptsSse = (request.headers.accept ?? '').includes(SSE_TYPE);
    const timeoutMs = this.#config.timeoutMs;
    const { supervisor } = session;
    return new Promise<UpstreamResponse>((resolve, reject) => {
      let stream: PassThrough | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        session.inflight.delete(message.id);
        session.callStreams.delete(push);
        request.signal.removeEventListener('abort', onAbort);
      };
      const fail = (error: GatewayError) => {
        if (settled) return;
        finish();
        if (!stream) return reject(error);
        const data = jsonRpcError(message.id, JSON_RPC.upstreamError, error.message, {
          reason: error.code,
        });
        stream.end(formatEvent({ event: 'message', data }));
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          supervisor.cancel(upstreamId, 'the gateway timed out');
          fail(
            new GatewayError('upstream-timeout', `upstream "${this.name}" did not answer in time`),
          );
        }, timeoutMs);
      };
      const onAbort = () => {
        supervisor.cancel(upstreamId, 'the client went away');
        fail(new GatewayError('upstream-unavailable', 'the client went away'));
      };
      // The answer turns into an SSE stream at the first message before the result.
      const push = (notification: JSONRPCMessage) => {
        if (settled || !acceptsSse) return;
        if (!stream) {
          stream = new PassThrough();
          resolve(sse(session.id, stream));
        }
        stream.write(formatEvent({ event: 'message', data: JSON.stringify(notification) }));
        arm();
      };
      const sink: CallSink = {
        onProgress: push,
        onResponse: (response: JsonRpcResponse) => {
          if (settled) return;
          finish();
          const text = JSON.stringify(response);
          if (stream) stream.end(formatEvent({ event: 'message', data: text }));
          else resolve(this.#json(200, session.id, text));
        },
        onFail: fail,
      };
      const upstreamId = supervisor.call(message, sink);
      if (settled) return;
      session.inflight.set(message.id, upstreamId);
      if (acceptsSse) session.callStreams.add(push);
      request.signal.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  }

  /** A notification or a response from the client, to the session's child. */
  #deliverToChild(session: Session, message: JSONRPCMessage): void {
    const { supervisor } = session;
    if (isNotification(message)) {
      // The supervisor sends its own `initialized` after each handshake (restarts included).
      if (message.method === 'notifications/initialized') return;
      if (message.method === 'notifications/cancelled') {
        const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        const upstreamId = requestId === undefined ? undefined : session.inflight.get(requestId);
        if (upstreamId !== undefined) {
          const reason = (message.params as { reason?: unknown }).reason;
          supervisor.cancel(upstreamId, typeof reason === 'string' ? reason : 'cancelled');
        }
        return;
      }
    } else if (supervisor === this.#shared) {
      // A shared child's own requests are never forwarded, so no answer belongs to it.
      return;
    }
    supervisor.send(message);
  }

  /**
   * The child's own request or notification, for the session's GET stream (a request, while
   * there is none, on the SSE answer of the newest request in flight).
   */
  #deliverToSession(sessionId: string, message: JSONRPCMessage): void {
    const session = this.#sessions.get(sessionId);
    if (!session) return;
    if (session.stream) {
      session.stream.write(formatEvent({ event: 'message', data: JSON.stringify(message) }));
      return;
    }
    // No GET stream: a request of the child (sampling, elicitation, roots) blocks the call it
    // serves until a client answers, so the newest in-flight request that accepts SSE carries
    // it. Notifications wait for a GET stream; a shared child's messages are for everyone.
    const call =
      session.supervisor === this.#shared || !isRequest(message)
        ? undefined
        : [...session.callStreams].at(-1);
    if (call) {
      call(message);
      return;
    }
    // A shared child's list_changed says the same to everyone: once is enough.
    if (
      session.supervisor === this.#shared &&
      isNotification(message) &&
      session.backlog.some((m) => isNotification(m) && m.method === message.method)
    ) {
      return;
    }
    if (session.backlog.length >= MAX_BACKLOG) session.backlog.shift();
    session.backlog.push(message);
  }

  /**
   * A message of the shared child. It cannot be attributed to one session: list_changed goes to
   * every session, other notifications (logging, resources/updated, progress of no request in
   * flight) are dropped, as they may carry one caller's data; requests are answered here (ping)
   * or refused.
   */
  #fromShared(message: JSONRPCMessage): void {
    if (isRequest(message)) {
      this.#shared?.send(
        message.method === 'ping'
          ? { jsonrpc: '2.0', id: message.id, result: {} }
          : ({
              jsonrpc: '2.0',
              id: message.id,
              error: {
                code: -32601,
                message: `the gateway shares this server between sessions (isolation: shared): ${message.method} cannot reach a client`,
              },
            } as JSONRPCMessage),
      );
      return;
    }
    if (!isNotification(message) || !FOR_EVERY_SESSION.has(message.method)) {
      this.#o.logger.debug(
        { upstream: this.name, method: 'method' in message ? message.method : undefined },
        'stdio upstream (isolation: shared): a message for no one session dropped',
      );
      return;
    }
    for (const id of this.#sessions.keys()) this.#deliverToSession(id, message);
  }

  async #openStream(session: Session, request: UpstreamRequest): Promise<UpstreamResponse> {
    if (!(request.headers.accept ?? '').includes(SSE_TYPE)) {
      return this.#error(
        406,
        null,
        JSON_RPC.invalidRequest,
        'Not Acceptable: the client must accept text/event-stream',
      );
    }
    if (session.stream) {
      return this.#error(
        409,
        null,
        JSON_RPC.invalidRequest,
        'Conflict: one GET stream per session',
      );
    }
    const refused = await this.#ready(session, null);
    if (refused) return refused;
    const stream = new PassThrough();
    session.stream = stream;
    const closed = () => {
      if (session.stream === stream) session.stream = undefined;
      session.lastSeen = Date.now();
    };
    stream.once('close', closed);
    request.signal.addEventListener('abort', () => stream.end(), { once: true });
    for (const message of session.backlog.splice(0)) {
      stream.write(formatEvent({ event: 'message', data: JSON.stringify(message) }));
    }
    return sse(session.id, stream);
  }

  async #end(session: Session): Promise<void> {
    this.#sessions.delete(session.id);
    session.stream?.end();
    if (session.supervisor !== this.#shared) await session.supervisor.close();
  }

  /**
   * Ends sessions past `maxSessionLifetime` (GET stream open or not), stops idle children,
   * forgets sessions idle past the TTL (a shared upstream's, which have no child of their own,
   * once idle for `idleTimeout`).
   */
  #reap(): void {
    const now = Date.now();
    for (const session of this.#sessions.values()) {
      if (now - session.createdAt >= this.#stdio.maxSessionLifetimeMs) {
        this.#o.logger.info(
          { upstream: this.name, session: session.id },
          'stdio upstream session reached maxSessionLifetime: ended',
        );
        void this.#end(session);
        continue;
      }
      const shared = session.supervisor === this.#shared;
      if (session.stream || (shared ? session.inflight.size > 0 : session.supervisor.busy)) {
        continue;
      }
      const idle = now - session.lastSeen;
      if (
        idle >=
        (shared ? Math.min(this.#stdio.idleTimeoutMs, this.#sessionTtlMs) : this.#sessionTtlMs)
      ) {
        void this.#end(session);
      } else if (
        idle >= this.#stdio.idleTimeoutMs &&
        session.supervisor.live &&
        session.supervisor !== this.#shared
      ) {
        this.#o.logger.info(
          { upstream: this.name, session: session.id },
          'stdio upstream idle: stopped',
        );
        void session.supervisor.stop();
      }
    }
    const shared = this.#shared;
    if (shared?.live && !shared.busy) {
      let last = 0;
      for (const session of this.#sessions.values()) {
        if (session.stream) return;
        last = Math.max(last, session.lastSeen);
      }
      if (now - last >= this.#stdio.idleTimeoutMs) {
        this.#o.logger.info({ upstream: this.name }, 'stdio upstream idle: stopped');
        void shared.stop();
      }
    }
  }

  #supervisor(
    initializeParams: Record<string, unknown>,
    onMessage: (message: JSONRPCMessage) => void,
    eager: () => boolean,
  ): StdioSupervisor {
    return new StdioSupervisor({
      upstream: this.name,
      config: this.#stdio,
      logger: this.#o.logger,
      plan: () => this.#plan(),
      initializeParams,
      onMessage,
      eager,
      reaper: this.#watchdog,
      onExit: () => this.#o.metrics?.exited(this.name),
    });
  }

  /** What to spawn: the configured command, in an environment of exactly what is allowed. */
  async #plan(): Promise<SpawnPlan> {
    const parent = this.#o.parentEnv ?? process.env;
    const base: Record<string, string> = {};
    for (const name of DEFAULT_STDIO_ENV) {
      const value = parent[name];
      if (value !== undefined) base[name] = value;
    }
    Object.assign(base, this.#stdio.env);
    // Configured values may be secrets (`${env:…}`): never echoed from the child's stderr (the
    // child redacts all but the very short ones).
    const secrets = Object.values(this.#stdio.env);
    let env = base;
    const { oauth } = this.#o;
    const config = this.#config.oauth;
    if (oauth && config) {
      const result = await oauth.getAccessToken(this.name, config);
      if (!result.ok) {
        throw new GatewayError(
          'upstream-unauthorized',
          `no upstream token for "${this.name}": ${result.error.code}`,
          { cause: result.error },
        );
      }
      const injected = injectToken({ transport: 'stdio', env: base }, result.token, {
        config,
        allowEnv: Object.keys(base),
      }).env;
      env = {};
      for (const [k, v] of Object.entries(injected)) if (v !== undefined) env[k] = v;
      secrets.push(result.token.value);
    }
    return {
      command: this.#stdio.command,
      args: this.#stdio.args,
      env,
      cwd: this.#stdio.cwd,
      secrets,
    };
  }

  #json(status: number, sessionId: string | undefined, body: unknown): UpstreamResponse {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return {
      status,
      headers: {
        'content-type': JSON_TYPE,
        ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
      },
      body: Readable.from([Buffer.from(text)]),
    };
  }

  #error(
    status: number,
    id: RequestId | null,
    code: number,
    message: string,
    data?: unknown,
  ): UpstreamResponse {
    return {
      status,
      headers: { 'content-type': JSON_TYPE },
      body: Readable.from([Buffer.from(jsonRpcError(id, code, message, data))]),
    };
  }
}
