import Type, { type Static } from 'typebox';
import { ExtractOptionsSchema } from '../extract/extract-options.js';
import { NonEmptyString } from './schema-parts.js';

/** Configuration of one provider: its `type` and that type's members (see `PROVIDER_SCHEMAS`). */
export type ProviderConfig = { readonly type: string } & Readonly<Record<string, unknown>>;

const ProviderEntry = Type.Object({ type: NonEmptyString }, { additionalProperties: true });

/**
 * The schema of an authentication configuration document (JSON or YAML). Each provider entry is
 * then checked against its type's schema (`PROVIDER_SCHEMAS`, or a custom type's).
 */
export const AuthConfigSchema = Type.Object(
  {
    /** Providers by name; names are what the chain refers to. */
    providers: Type.Unsafe<Readonly<Record<string, ProviderConfig>>>(
      Type.Record(Type.String(), ProviderEntry, {
        minProperties: 1,
        propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,64}$' },
      }),
    ),
    /** Default: every provider, in the order listed, `anyOf`. */
    chain: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(NonEmptyString),
          mode: Type.Optional(Type.Enum(['anyOf', 'allOf'])),
          providers: Type.Optional(Type.Array(NonEmptyString, { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** How credentials are read from requests. */
    extraction: Type.Optional(ExtractOptionsSchema),
    /** Shared Redis, for stores configured as `redis`. */
    redis: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^rediss?://' }),
          /** Key prefix of every store. Default `etdi:auth:`. */
          prefix: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * An authentication configuration document, as read from JSON or YAML.
 *
 * @example
 * {
 *   "chain": { "mode": "anyOf", "providers": ["mtls", "jwt"] },
 *   "providers": {
 *     "mtls": { "type": "mtls", "caFile": "clients-ca.pem" },
 *     "jwt": { "type": "jwt", "jwksUrl": "https://idp/jwks.json", "algorithms": ["RS256"],
 *              "issuer": "https://idp/", "audience": "etdi-gateway", "clockTolerance": "30s" }
 *   }
 * }
 */
export type AuthConfig = Static<typeof AuthConfigSchema>;
