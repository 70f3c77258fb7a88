/** One MCP POST by hand (no SDK), for tests that assert exact statuses, headers and errors. */

/** A JSON-RPC answer as the tests read it. */
export interface RpcReply {
  readonly result?: {
    readonly tools?: { readonly name: string }[];
    readonly nextCursor?: string;
    readonly content?: unknown;
    readonly [member: string]: unknown;
  };
  readonly error?: {
    readonly code: number;
    readonly message: string;
    readonly data?: Record<string, unknown>;
  };
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: RpcReply | undefined;
}

/** POSTs one JSON-RPC message with an API key, and a session of the 2025 era when given. */
export async function postMcp(
  url: URL,
  key: string,
  body: object,
  sessionId?: string,
): Promise<RawAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-api-key': key,
      ...(sessionId === undefined
        ? {}
        : { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }),
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? undefined : (JSON.parse(text) as RpcReply),
  };
}

/** The `initialize` request of a 2025-11-25 client. */
export const INITIALIZE = {
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};
