import Type from 'typebox';

/**
 * `upstreams.<name>.protocol`: which MCP era the gateway speaks to the upstream. `session`: the
 * 2025 revisions (`initialize`, `Mcp-Session-Id`); `stateless`: 2026-07-28 (`server/discover`,
 * a `_meta` envelope and `MCP-Protocol-Version` / `Mcp-Method` / `Mcp-Name` on every request);
 * `auto` (default): ask the upstream with `server/discover` once, and use what it answers.
 */
export const UpstreamProtocolSchema = Type.Union(
  [Type.Literal('session'), Type.Literal('stateless'), Type.Literal('auto')],
  { description: 'session | stateless | auto (probe with server/discover)' },
);

/** `upstreams.<name>.aggregate`: how the upstream appears on the `/mcp` endpoint. */
export const UpstreamAggregateSchema = Type.Object(
  {
    include: Type.Optional(
      Type.Boolean({ description: 'serve this upstream on /mcp (default true)' }),
    ),
    prefix: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        description: 'served names are <prefix>__<tool>; default: the upstream name',
      }),
    ),
    scope: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'callers may use this upstream (on /mcp and its own route) only with this scope',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `aggregate`: the `/mcp` endpoint serving every upstream at once. */
export const AggregateConfigSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'serve /mcp (default true)' })),
    access: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 })), {
        description:
          'user id (or "anonymous", or "*" for everyone else) → the upstreams that caller may use, on /mcp and /servers/<name>/mcp',
      }),
    ),
    cursorSecret: Type.Optional(
      Type.String({
        minLength: 32,
        description:
          'HMAC key of /mcp page cursors (use ${env:…}); the same on every node lets a cursor page on any node; default: random per process',
      }),
    ),
  },
  { additionalProperties: false },
);
