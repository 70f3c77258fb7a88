import type { Logger } from '@etdi/core';
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { STDIO_DEFAULTS, type StdioUpstreamConfig } from '../config/stdio-config.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors.js';
import type { ProcessReaper } from './process-reaper.js';
import { StdioChild, type ChildExit, type StdioCommand } from './stdio-child.js';

/** A JSON-RPC response (result or error) as the child sends it. */
export type JsonRpcResponse =
  | Extract<JSONRPCMessage, { id: RequestId; result: unknown }>
  | {
      jsonrpc: '2.0';
      id: RequestId;
      error: { code: number; message: string; data?: unknown };
    };

/** Where the answer to one forwarded request goes; ids and progress tokens are the caller's. */
export interface CallSink {
  onProgress(notification: JSONRPCNotification): void;
  onResponse(response: JsonRpcResponse): void;
  onFail(error: GatewayError): void;
}

/** The command to spawn (a fresh environment and token each time) and what never to log. */
export interface SpawnPlan extends StdioCommand {
  readonly secrets: readonly string[];
}

/** Options of {@link StdioSupervisor}. */
export interface StdioSupervisorOptions {
  readonly upstream: string;
  readonly config: StdioUpstreamConfig;
  readonly logger: Logger;
  readonly plan: () => Promise<SpawnPlan>;
  /** `initialize` params sent to every child this supervisor starts (restarts included). */
  readonly initializeParams: Readonly<Record<string, unknown>>;
  /** The child's own requests and notifications (answers to forwarded requests go to sinks). */
  readonly onMessage: (message: JSONRPCMessage) => void;
  /** Whether to restart a child that died at once (after the backoff), or when next needed. */
  readonly eager: () => boolean;
  /** Kills the children should the gateway die before it could stop them. */
  readonly reaper?: ProcessReaper;
  /** Told of each child that exited without being asked to. */
  readonly onExit?: () => void;
}

/** A refusal of `initialize` by the child itself: passed downstream as its JSON-RPC error. */
export class InitializeRefused extends Error {
  constructor(readonly response: JsonRpcResponse) {
    super('the stdio upstream refused initialize');
  }
}

interface Call {
  readonly sink: CallSink;
  readonly id: RequestId;
  readonly progressToken: unknown;
}

type State = 'stopped' | 'starting' | 'ready' | 'backoff';

const PROGRESS = 'notifications/progress';

function isResponse(message: JSONRPCMessage): message is JsonRpcResponse {
  return 'id' in message && !('method' in message);
}

/**
 * Keeps one stdio MCP server alive for its users (a downstream session, or every session of a
 * `shared` upstream): spawns it, performs the `initialize` handshake with the given params
 * (killing a child that does not answer in time), restarts it with capped exponential backoff
 * when it dies, and replays the handshake so the session above carries on. Requests forwarded
 * through it get ids of its own, so callers never see each other's answers, and so do their
 * progress tokens.
 */
export class StdioSupervisor {
  readonly #o: StdioSupervisorOptions;
  #state: State = 'stopped';
  #child: StdioChild | undefined;
  #pending: Promise<void> | undefined;
  #abort = new AbortController();
  #restartAt = 0;
  #failures = 0;
  #readySince = 0;
  #nextId = 1;
  #handshake:
    | {
        readonly id: number;
        readonly resolve: (r: JsonRpcResponse) => void;
        readonly reject: (e: GatewayError) => void;
      }
    | undefined;
  readonly #calls = new Map<number, Call>();
  readonly #progress = new Map<string, number>();
  #initializeResult: Record<string, unknown> | undefined;
  #closed = false;

  constructor(options: StdioSupervisorOptions) {
    this.#o = options;
  }

  /**
   * Whether a process is running, starting or due to restart: it holds one of the upstream's
   * `maxProcesses` slots.
   */
  get live(): boolean {
    return this.#state !== 'stopped';
  }

  /** Whether requests are waiting for answers from the child, or it is starting. */
  get busy(): boolean {
    return this.#calls.size > 0 || this.#state === 'starting';
  }

  /** The running child's process id. */
  get pid(): number | undefined {
    return this.#child?.exited === false ? this.#child.pid : undefined;
  }

  /** The result of the last successful `initialize` (what downstream clients are answered). */
  get initializeResult(): Record<string, unknown> | undefined {
    return this.#initializeResult;
  }

  /**
   * Resolves when a child is running and initialized, starting one if there is none (after the
   * backoff delay when the last one died).
   *
   * @throws {GatewayError} `upstream-unavailable` (it cannot be spawned, or died during the
   * handshake) or `upstream-timeout` (no answer to `initialize` in time).
   * @throws {InitializeRefused} when the server answered `initialize` with an error.
   */
  ensure(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#gone());
    if (this.#state === 'ready') return Promise.resolve();
    if (!this.#pending) {
      const pending = this.#startAfter(this.#restartAt - Date.now()).finally(() => {
        if (this.#pending === pending) this.#pending = undefined;
      });
      this.#pending = pending;
    }
    return this.#pending;
  }

  /** Forwards a request (ids and progress token mapped); the answer goes to `sink`. */
  call(request: JSONRPCRequest, sink: CallSink): number {
    const id = this.#nextId++;
    const params = request.params as Record<string, unknown> | undefined;
    const meta = params?._meta as Record<string, unknown> | undefined;
    const progressToken = meta?.progressToken;
    let outParams = params;
    if (progressToken !== undefined) {
      this.#progress.set(`p${id}`, id);
      outParams = { ...params, _meta: { ...meta, progressToken: `p${id}` } };
    }
    this.#calls.set(id, { sink, id: request.id, progressToken });
    const sent = this.#child?.send({
      jsonrpc: '2.0',
      id,
      method: request.method,
      ...(outParams === undefined ? {} : { params: outParams }),
    } as JSONRPCRequest);
    if (!sent) {
      this.#forget(id);
      sink.onFail(this.#gone());
    }
    return id;
  }

  /** Drops a forwarded request and tells the child (`notifications/cancelled`). */
  cancel(id: number, reason: string): void {
    if (!this.#forget(id)) return;
    this.#child?.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: id, reason },
    });
  }

  /** Writes a message as it is (notifications, answers to the child's own requests). */
  send(message: JSONRPCMessage): void {
    this.#child?.send(message);
  }

  /** Stops the child (SIGTERM, SIGKILL after the grace period); a later `ensure` restarts. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#pending = undefined;
    const child = this.#child;
    this.#state = 'stopped';
    this.#restartAt = 0;
    this.#child = undefined;
    this.#handshake?.reject(this.#gone());
    this.#failAll(this.#gone());
    await child?.stop(this.#o.config.shutdownGraceMs);
  }

  /** Stops the child and refuses every later `ensure`. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.stop();
  }

  async #startAfter(wait: number): Promise<void> {
    const signal = this.#abort.signal;
    if (this.#state === 'stopped') this.#state = 'backoff';
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal, ref: false });
      } catch {
        throw this.#gone();
      }
    }
    if (signal.aborted || this.#closed) throw this.#gone();
    await this.#start(signal);
  }

  async #start(signal: AbortSignal): Promise<void> {
    this.#state = 'starting';
    const { upstream, config, logger } = this.#o;
    let child: StdioChild | undefined;
    try {
      const plan = await this.#o.plan();
      if (signal.aborted) throw this.#gone();
      const spawned = new StdioChild(plan, {
        upstream,
        logger,
        secrets: plan.secrets,
        graceMs: config.shutdownGraceMs,
        ...(this.#o.reaper ? { reaper: this.#o.reaper } : {}),
        onMessage: (message) => this.#receive(spawned, message),
        onExit: (exit) => this.#exited(spawned, exit),
      });
      child = spawned;
      this.#child = spawned;
      const answer = await this.#initialize(spawned, config.initializeTimeoutMs);
      if ('error' in answer) throw new InitializeRefused(answer);
      this.#initializeResult = answer.result as Record<string, unknown>;
      spawned.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.#state = 'ready';
      this.#readySince = Date.now();
      logger.info({ upstream, pid: spawned.pid }, 'stdio upstream started');
    } catch (error) {
      // Stopped meanwhile: stop() has put the state right. Died: #exited has (backoff).
      if (!signal.aborted && this.#child === child) {
        this.#child = undefined;
        this.#state = 'stopped';
      }
      await child?.kill();
      throw error;
    }
  }

  #initialize(child: StdioChild, timeoutMs: number): Promise<JsonRpcResponse> {
    const id = this.#nextId++;
    return new Promise<JsonRpcResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#o.logger.warn(
          { upstream: this.#o.upstream, pid: child.pid },
          'stdio upstream did not answer initialize in time: killed',
        );
        this.#handshake?.reject(
          new GatewayError(
            'upstream-timeout',
            `stdio upstream "${this.#o.upstream}" did not answer initialize within ${timeoutMs / 1000}s`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#handshake = undefined;
      };
      this.#handshake = {
        id,
        resolve: (response) => {
          done();
          resolve(response);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      child.send({
        jsonrpc: '2.0',
        id,
        method: 'initialize',
        params: { ...this.#o.initializeParams },
      });
    });
  }

  #receive(child: StdioChild, message: JSONRPCMessage): void {
    if (child !== this.#child) return;
    if (isResponse(message)) {
      if (this.#handshake && message.id === this.#handshake.id) {
        this.#handshake.resolve(message);
        return;
      }
      const call = typeof message.id === 'number' ? this.#calls.get(message.id) : undefined;
      if (!call || typeof message.id !== 'number') return;
      this.#forget(message.id);
      call.sink.onResponse({ ...message, id: call.id } as JsonRpcResponse);
      return;
    }
    if ('method' in message && message.method === PROGRESS && !('id' in message)) {
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      const id = typeof token === 'string' ? this.#progress.get(token) : undefined;
      const call = id === undefined ? undefined : this.#calls.get(id);
      if (call) {
        call.sink.onProgress({
          ...message,
          params: { ...message.params, progressToken: call.progressToken },
        } as JSONRPCNotification);
        return;
      }
    }
    this.#o.onMessage(message);
  }

  #exited(child: StdioChild, exit: ChildExit): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    const how = exit.error
      ? `could not be started (${exit.error})`
      : exit.signal
        ? `was killed by ${exit.signal}`
        : `exited with code ${exit.code}`;
    const error = new GatewayError(
      'upstream-unavailable',
      `stdio upstream "${this.#o.upstream}" ${how}`,
    );
    this.#handshake?.reject(error);
    this.#failAll(error);
    const wasReady = this.#state === 'ready';
    if (this.#state === 'stopped' || this.#closed) return;
    // Unexpected: back off (doubling, capped), forgiven once a child ran for the cap's length.
    if (wasReady && Date.now() - this.#readySince >= STDIO_DEFAULTS.restartCapMs) {
      this.#failures = 0;
    }
    const delay = Math.min(
      STDIO_DEFAULTS.restartBaseMs * 2 ** this.#failures,
      STDIO_DEFAULTS.restartCapMs,
    );
    this.#failures++;
    this.#o.onExit?.();
    this.#state = 'backoff';
    this.#restartAt = Date.now() + delay;
    this.#o.logger.warn(
      {
        upstream: this.#o.upstream,
        pid: child.pid,
        code: exit.code,
        signal: exit.signal,
        restartInMs: delay,
      },
      `stdio upstream ${how}`,
    );
    // Died while starting: the handshake's waiters are rejected; the next ensure() waits out
    // the delay. A running one is restarted now if its users need it (an open GET stream).
    if (wasReady && this.#o.eager()) {
      this.ensure().catch(() => {
        // Logged where it failed; the next ensure() tries again.
      });
    }
  }

  #forget(id: number): boolean {
    const call = this.#calls.get(id);
    if (!call) return false;
    this.#calls.delete(id);
    if (call.progressToken !== undefined) this.#progress.delete(`p${id}`);
    return true;
  }

  #failAll(error: GatewayError): void {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    this.#progress.clear();
    for (const call of calls) call.sink.onFail(error);
  }

  #gone(): GatewayError {
    return new GatewayError(
      'upstream-unavailable',
      `stdio upstream "${this.#o.upstream}" is not running`,
    );
  }
}
