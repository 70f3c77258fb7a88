import {
  classifyInboundRequest,
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  SERVER_INFO_META_KEY,
} from '@modelcontextprotocol/server';

// The two eras of MCP over HTTP. Session-based (2025-03-26, 2025-06-18, 2025-11-25): an
// `initialize` handshake opens a session named by `Mcp-Session-Id`. Stateless (2026-07-28): no
// handshake and no session; every request carries its protocol version and the client's
// capabilities in a `_meta` envelope, and `MCP-Protocol-Version`, `Mcp-Method` (and, for
// tools/call, prompts/get and resources/read, `Mcp-Name`) headers that must agree with the body.
// How a request is classified is the official SDK's own classifier (`classifyInboundRequest`):
// its behaviour is what clients and servers interoperate with.

/** The stateless revision the gateway speaks. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';
/** The session-based revision the gateway asks for when it opens an upstream session. */
export const LEGACY_PROTOCOL_VERSION = '2025-11-25';
/** The session-based revisions the gateway accepts from a client, newest first. */
export const LEGACY_PROTOCOL_VERSIONS: readonly string[] = [
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
];

export const PROTOCOL_VERSION_META = PROTOCOL_VERSION_META_KEY;
export const CLIENT_CAPABILITIES_META = CLIENT_CAPABILITIES_META_KEY;
export const CLIENT_INFO_META = CLIENT_INFO_META_KEY;
export const SERVER_INFO_META = SERVER_INFO_META_KEY;

/** JSON-RPC codes of the 2026-07-28 revision. */
export const MODERN_ERRORS = Object.freeze({
  /** `HeaderMismatch`: a standard header is missing or disagrees with the body (HTTP 400). */
  headerMismatch: -32020,
  /** `UnsupportedProtocolVersion` (HTTP 400), with `data.supported`. */
  unsupportedVersion: -32022,
});

/** Methods whose `Mcp-Name` header mirrors a body field (SEP-2243 "Required For"). */
const NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';

/** A refusal of the classification, as the SDK answers it: an HTTP status and a JSON-RPC error. */
export interface EraRefusal {
  readonly status: number;
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** Which era one downstream request belongs to, or why it is refused. */
export type DownstreamEra =
  | { readonly era: 'legacy' }
  | { readonly era: 'modern'; readonly version: string; readonly notification: boolean }
  | { readonly era: 'refused'; readonly refusal: EraRefusal };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function header(headers: Readonly<Record<string, string | string[] | undefined>>, name: string) {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim();
}

/**
 * Whether a downstream request may be of the stateless era, decided on bytes: a modern
 * `MCP-Protocol-Version` header, or a body naming the envelope key (or using escapes, which
 * could spell it). Everything else is session-era traffic and takes the pass-through path
 * without another parse.
 */
export function mayBeModern(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Buffer | undefined,
): boolean {
  const version = header(headers, 'mcp-protocol-version');
  if (version !== undefined && version >= MODERN_PROTOCOL_VERSION) return true;
  return body !== undefined && (body.includes(PROTOCOL_VERSION_META) || body.includes('\\u'));
}

/**
 * Classifies one downstream request with the SDK's classifier, then applies the presence and
 * `Mcp-Name` half of the standard-header rules on modern requests: `MCP-Protocol-Version` and
 * `Mcp-Method` are required on every request, `Mcp-Name` on tools/call, prompts/get and
 * resources/read, each equal to the body. A disagreement is `-32020` on HTTP 400, an envelope
 * naming a revision the gateway does not speak `-32022` on HTTP 400.
 */
export function classifyDownstream(
  httpMethod: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: unknown,
): DownstreamEra {
  const protocolVersionHeader = header(headers, 'mcp-protocol-version');
  const mcpMethodHeader = header(headers, 'mcp-method');
  const mcpNameHeader = header(headers, 'mcp-name');
  const outcome = classifyInboundRequest({
    httpMethod,
    ...(protocolVersionHeader === undefined ? {} : { protocolVersionHeader }),
    ...(mcpMethodHeader === undefined ? {} : { mcpMethodHeader }),
    ...(mcpNameHeader === undefined ? {} : { mcpNameHeader }),
    ...(body === undefined ? {} : { body }),
  });
  if (outcome.kind === 'reject') {
    return {
      era: 'refused',
      refusal: {
        status: outcome.httpStatus,
        code: outcome.code,
        message: outcome.message,
        ...(outcome.data === undefined ? {} : { data: outcome.data }),
      },
    };
  }
  if (outcome.kind === 'legacy') return { era: 'legacy' };
  const version =
    outcome.classification.revision ?? protocolVersionHeader ?? MODERN_PROTOCOL_VERSION;
  if (version !== MODERN_PROTOCOL_VERSION) {
    return {
      era: 'refused',
      refusal: {
        status: 400,
        code: MODERN_ERRORS.unsupportedVersion,
        message: `Unsupported protocol version: ${version}`,
        data: {
          supported: [MODERN_PROTOCOL_VERSION, ...LEGACY_PROTOCOL_VERSIONS],
          requested: version,
        },
      },
    };
  }
  const notification = outcome.messageKind === 'notification';
  if (!notification) {
    const message = outcome.message as { method: string; params?: unknown };
    const missing = (name: string, what: string) =>
      mismatch(
        '(missing)',
        `the body names method ${message.method} but the required ${name} header is absent${what}`,
      );
    if (protocolVersionHeader === undefined) return missing('MCP-Protocol-Version', '');
    if (mcpMethodHeader === undefined) return missing('Mcp-Method', '');
    const field = Object.hasOwn(NAME_SOURCE, message.method)
      ? NAME_SOURCE[message.method]!
      : undefined;
    const bodyValue =
      field !== undefined && isObject(message.params) && typeof message.params[field] === 'string'
        ? (message.params[field] as string)
        : undefined;
    if (bodyValue !== undefined) {
      if (mcpNameHeader === undefined)
        return missing('Mcp-Name', ` (params.${field} is ${JSON.stringify(bodyValue)})`);
      const decoded = decodeHeaderValue(mcpNameHeader);
      if (decoded !== bodyValue) {
        return mismatch(
          mcpNameHeader,
          `the body carries params.${field}=${JSON.stringify(bodyValue)} but the Mcp-Name header names ${JSON.stringify(decoded ?? mcpNameHeader)}`,
        );
      }
    }
  }
  return { era: 'modern', version, notification };
}

function mismatch(headerValue: string, body: string): DownstreamEra {
  return {
    era: 'refused',
    refusal: {
      status: 400,
      code: MODERN_ERRORS.headerMismatch,
      message: `Bad Request: the request headers and body disagree: ${body}`,
      data: { mismatch: { header: headerValue, body } },
    },
  };
}

/** A header value as the SDK decodes it: plain, or `=?base64?…?=` for what HTTP cannot carry. */
function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX))) return value;
  const b64 = value.slice(SENTINEL_PREFIX.length, -SENTINEL_SUFFIX.length);
  const bytes = Buffer.from(b64, 'base64');
  return bytes.toString('base64') === b64 ? bytes.toString('utf8') : undefined;
}

/** A header value that HTTP can carry: as is when it is plain visible ASCII, else a sentinel. */
function encodeHeaderValue(value: string): string {
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) &&
    !value.startsWith(SENTINEL_PREFIX)
    ? value
    : `${SENTINEL_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${SENTINEL_SUFFIX}`;
}

/** The standard headers of a 2026-07-28 request the gateway sends upstream. */
export function modernRequestHeaders(message: {
  readonly method: string;
  readonly params?: Readonly<Record<string, unknown>> | undefined;
}): Record<string, string> {
  const field = Object.hasOwn(NAME_SOURCE, message.method)
    ? NAME_SOURCE[message.method]!
    : undefined;
  const name = field === undefined ? undefined : message.params?.[field];
  return {
    'mcp-protocol-version': MODERN_PROTOCOL_VERSION,
    'mcp-method': message.method,
    ...(typeof name === 'string' ? { 'mcp-name': encodeHeaderValue(name) } : {}),
  };
}

/** `params` with the 2026-07-28 envelope in `_meta` (the caller's own `_meta` keys kept). */
export function withEnvelope(
  params: Readonly<Record<string, unknown>> | undefined,
  clientInfo: { readonly name: string; readonly version: string },
  clientCapabilities: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const meta = isObject(params?._meta) ? params._meta : {};
  return {
    ...params,
    _meta: {
      ...meta,
      [PROTOCOL_VERSION_META]: MODERN_PROTOCOL_VERSION,
      [CLIENT_CAPABILITIES_META]: clientCapabilities,
      [CLIENT_INFO_META]: clientInfo,
    },
  };
}

/** `params` without the 2026-07-28 envelope keys (for a session-based upstream). */
export function withoutEnvelope(params: unknown): Record<string, unknown> | undefined {
  if (!isObject(params)) return undefined;
  if (!isObject(params._meta)) return params;
  const {
    [PROTOCOL_VERSION_META]: _v,
    [CLIENT_CAPABILITIES_META]: _c,
    [CLIENT_INFO_META]: _i,
    ...rest
  } = params._meta;
  const { _meta: _m, ...others } = params;
  return Object.keys(rest).length === 0 ? others : { ...others, _meta: rest };
}

/** Methods whose 2026-07-28 results carry cache hints (`ttlMs`, `cacheScope`). */
const CACHEABLE_METHODS = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
]);

/**
 * A result as a 2026-07-28 client requires it: `resultType` (`complete` when the upstream spoke
 * a 2025 revision, which has none), and on cacheable methods the cache hints, as "do not cache,
 * private" unless the upstream gave its own: the gateway's answers depend on the caller.
 */
export function asModernResult(
  method: string,
  result: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result };
  out.resultType ??= 'complete';
  if (CACHEABLE_METHODS.has(method)) {
    out.ttlMs ??= 0;
    out.cacheScope ??= 'private';
  }
  return out;
}

/** A result as a 2025 client reads it: without the 2026-07-28 result members. */
export function asLegacyResult(result: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { resultType: _type, ttlMs: _ttl, cacheScope: _scope, ...rest } = result;
  return rest;
}
