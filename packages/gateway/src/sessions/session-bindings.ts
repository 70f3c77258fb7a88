/**
 * Which principal opened each downstream session (`Mcp-Session-Id`), per upstream. The gateway
 * forwards a session's requests only for the principal that opened it; another caller presenting
 * the id gets 404 and the upstream never sees the request. Gateway nodes share the bindings
 * through Redis, so any node can serve any request.
 */
export interface SessionBindingStore {
  /** Binds a new session to a principal, unless it is bound already. True when bound now. */
  setIfAbsent(upstream: string, sessionId: string, principal: string): Promise<boolean>;
  /** The principal a session is bound to, or undefined (unknown or expired). */
  get(upstream: string, sessionId: string): Promise<string | undefined>;
  delete(upstream: string, sessionId: string): Promise<void>;
  close(): Promise<void>;
}
