import type { Readable } from 'node:stream';

/**
 * The seam between the proxy and a transport to one upstream MCP server. The proxy speaks
 * Streamable HTTP downstream and hands each request, already authenticated, inspected and
 * checked by the guard, to an `Upstream`; whatever comes back goes through the same response
 * path (tools/list rewriting, list_changed, session binding). An HTTP upstream forwards the
 * request as is; a stdio upstream (next issue) bridges it to a child's stdin/stdout and answers
 * in the same shape (a JSON body or an SSE stream); a stateless-revision upstream maps headers.
 * None of them touches verification, authentication or scopes: that path exists once.
 */
export interface Upstream {
  /** The configured name (`upstreams.<name>`). */
  readonly name: string;
  /**
   * Sends one downstream request and resolves to the upstream's answer as soon as its status
   * and headers are known; the body streams. The gateway's own credentials are the upstream's
   * business (an HTTP upstream injects its token and retries once on 401).
   *
   * @throws {GatewayError} `upstream-unavailable`, `upstream-timeout` or
   * `upstream-unauthorized`; never with a secret in the message.
   */
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  /**
   * Forgets a downstream session the gateway no longer binds to any caller (its binding expired
   * or was evicted), so what it holds (a stdio child, a backlog) goes with it. Optional: an
   * HTTP upstream keeps its sessions itself.
   */
  release?(sessionId: string): Promise<void>;
  /** Closes connections (or children). */
  close(): Promise<void>;
}

/** One request for an upstream. */
export interface UpstreamRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /**
   * Downstream headers that may travel on (lower-case names): `accept`, `content-type`,
   * `mcp-session-id`, `mcp-protocol-version`, `last-event-id` and other protocol headers. The
   * caller's credentials, cookies, hop-by-hop headers, `host` and `origin` are already gone.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The request body, complete (the proxy reads and checks it before anything is sent). */
  readonly body: Buffer | undefined;
  /**
   * The caller's principal (`principalOf`) the request is sent for: the downstream caller's
   * own, or the one the gateway holds an upstream session for (the era bridge, `/mcp`);
   * undefined for the gateway's own probes (`server/discover`). A stdio upstream counts
   * sessions per principal by it.
   */
  readonly principal?: string;
  /** Aborted when the downstream client goes away. */
  readonly signal: AbortSignal;
  /**
   * A long-lived stream (GET): no idle timeout on the body, only on the response headers.
   */
  readonly longLived: boolean;
}

/** An upstream's answer: status and headers now, the body as it arrives. */
export interface UpstreamResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Readable;
}
