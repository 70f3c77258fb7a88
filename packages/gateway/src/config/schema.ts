import { OAuthConfigSchema } from '@etdi/oauth';
import Type, { type Static } from 'typebox';
import {
  AggregateConfigSchema,
  UpstreamAggregateSchema,
  UpstreamProtocolSchema,
} from '../aggregate/aggregate-schema.js';
import {
  DurationSchema,
  PinsConfigSchema,
  TrustConfigSchema,
  UpstreamGuardSchema,
} from '../guard/config-schema.js';
import { StdioUpstreamSchema } from './stdio-config.js';

const RedisSchema = Type.Object(
  {
    url: Type.String({ pattern: '^rediss?://' }),
    prefix: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$";

/** One upstream MCP server: `upstreams.<name>`, reached by `url` or spawned by `command`. */
export const UpstreamConfigSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({ pattern: '^https?://', description: 'the upstream MCP endpoint' }),
    ),
    ...StdioUpstreamSchema.properties,
    oauth: Type.Optional(OAuthConfigSchema),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: HEADER_NAME }), Type.String(), {
        propertyNames: { pattern: HEADER_NAME },
      }),
    ),
    timeout: Type.Optional(DurationSchema),
    connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
    protocol: Type.Optional(UpstreamProtocolSchema),
    aggregate: Type.Optional(UpstreamAggregateSchema),
    ...UpstreamGuardSchema.properties,
  },
  { additionalProperties: false },
);

/** The gateway configuration document, as written in JSON or YAML (see docs/gateway.md). */
export const GatewayConfigSchema = Type.Object(
  {
    listen: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ minLength: 1 })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
        },
        { additionalProperties: false },
      ),
    ),
    publicUrl: Type.String({ pattern: '^https?://' }),
    allowedOrigins: Type.Optional(Type.Array(Type.String({ pattern: '^https?://' }))),
    auth: Type.Object({}, { additionalProperties: true }),
    trust: TrustConfigSchema,
    pins: Type.Optional(PinsConfigSchema),
    sessions: Type.Optional(
      Type.Object(
        {
          store: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('redis')])),
          redis: Type.Optional(RedisSchema),
          ttl: Type.Optional(DurationSchema),
          maxPerPrincipal: Type.Optional(
            Type.Integer({
              minimum: 1,
              description:
                "session bindings one caller holds at most, over every route; past it the caller's own least recently used one ends (never another caller's)",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(
      Type.Object(
        { maxRequestBytes: Type.Optional(Type.Integer({ minimum: 1024 })) },
        { additionalProperties: false },
      ),
    ),
    resourceMetadata: Type.Optional(
      Type.Object(
        {
          authorizationServers: Type.Optional(Type.Array(Type.String({ pattern: '^https?://' }))),
          scopesSupported: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    logLevel: Type.Optional(
      Type.Union(
        ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      ),
    ),
    aggregate: Type.Optional(AggregateConfigSchema),
    upstreams: Type.Record(
      Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
      UpstreamConfigSchema,
      {
        minProperties: 1,
        propertyNames: { pattern: '^[A-Za-z0-9_-]{1,64}$' },
      },
    ),
  },
  { additionalProperties: false },
);

/** A configuration document that passed the schema. */
export type GatewayConfigDocument = Static<typeof GatewayConfigSchema>;
/** One upstream of a {@link GatewayConfigDocument}. */
export type UpstreamConfigDocument = Static<typeof UpstreamConfigSchema>;
