import { compileSchema } from '@etdi/core';
import Type, { type Static } from 'typebox';
import { NonEmptyString, PositiveInteger, StringList } from '../config/schema-parts.js';
import { AllowedHoursSchema } from '../policy/allowed-hours.js';

/** Per-key limits and restrictions; every member is optional. */
export const ApiKeyPolicySchema = Type.Object(
  {
    /** Fixed-window request limits (UTC-aligned minute, hour, day). */
    rateLimits: Type.Optional(
      Type.Object(
        {
          perMinute: Type.Optional(PositiveInteger),
          perHour: Type.Optional(PositiveInteger),
          perDay: Type.Optional(PositiveInteger),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * When set, only these addresses / CIDR ranges (IPv4 or IPv6) may use the key; `[]` means
     * nobody. With a default policy, both lists must admit the address.
     */
    allowedIps: Type.Optional(StringList),
    /** Never these addresses; checked before `allowedIps`. Adds to the default policy's list. */
    deniedIps: Type.Optional(StringList),
    /**
     * When set, only these endpoints: `"/mcp"`, `"POST /tools/*"`, `"/admin/**"`; `[]` means none.
     * With a default policy, both lists must admit the endpoint.
     */
    allowedEndpoints: Type.Optional(StringList),
    /** Never these endpoints; checked before `allowedEndpoints`. Adds to the default's list. */
    blockedEndpoints: Type.Optional(StringList),
    /** Local hours the key may be used in (and the default policy's, if it has some). */
    allowedHours: Type.Optional(AllowedHoursSchema),
  },
  { additionalProperties: false },
);

/** Per-key limits and restrictions; see {@link ApiKeyPolicySchema}. */
export type ApiKeyPolicy = Static<typeof ApiKeyPolicySchema>;

/** The members of a stored record, shared with the configuration document's `keys`. */
export const API_KEY_RECORD_PROPERTIES = {
  keyId: Type.String({ pattern: '^[A-Za-z0-9_-]{4,64}$' }),
  /** `sha256:…` or `hmac-sha256:…` of the whole key; see `hashApiKey`. */
  hash: Type.String({ pattern: '^(sha256|hmac-sha256):[A-Za-z0-9_-]{43}$' }),
  userId: NonEmptyString,
  projectId: Type.Optional(NonEmptyString),
  /** A label for people, e.g. "CI deploy key". */
  name: Type.Optional(Type.String()),
  scopes: Type.Immutable(Type.Array(Type.String())),
  roles: Type.Optional(Type.Immutable(Type.Array(Type.String()))),
  active: Type.Boolean(),
  /** Epoch milliseconds. */
  createdAt: Type.Number(),
  /** Epoch milliseconds; absent means the key does not expire. */
  expiresAt: Type.Optional(Type.Number()),
  policy: Type.Optional(ApiKeyPolicySchema),
};

/** What a store holds for one key. Never the secret: only its hash. */
export const ApiKeyRecordSchema = Type.Object(API_KEY_RECORD_PROPERTIES, {
  additionalProperties: false,
});

/** What a store holds for one key; see {@link ApiKeyRecordSchema}. */
export type ApiKeyRecord = Static<typeof ApiKeyRecordSchema>;

/** Records read back from a shared store are a trust boundary: validate before use. */
export const validateApiKeyRecord = compileSchema<ApiKeyRecord>(ApiKeyRecordSchema);
