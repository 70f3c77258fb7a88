import { compileSchema } from '@etdi/core';
import Type, { type Static } from 'typebox';
import { AUTH_METHODS } from '../status.js';

/**
 * A session a provider opened after a successful authentication. It holds no secret: the
 * session id is the bearer, and stores index it by a hash.
 */
export const AuthSessionSchema = Type.Object(
  {
    id: Type.String(),
    /** Name of the provider that opened it; only that provider validates or refreshes it. */
    provider: Type.String(),
    method: Type.Enum([...AUTH_METHODS]),
    userId: Type.Optional(Type.String()),
    projectId: Type.Optional(Type.String()),
    permissions: Type.Immutable(Type.Array(Type.String())),
    roles: Type.Immutable(Type.Array(Type.String())),
    /** Epoch milliseconds. */
    createdAt: Type.Number(),
    /** Epoch milliseconds; never later than the credential's own expiry. */
    expiresAt: Type.Number(),
    /** Non-secret facts the provider re-checks on validation (API key id, token `jti`). */
    data: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    ),
  },
  { additionalProperties: false },
);

/** A session a provider opened; see {@link AuthSessionSchema}. */
export type AuthSession = Static<typeof AuthSessionSchema>;

/** Sessions read back from a shared store are a trust boundary: validate before use. */
export const validateSession = compileSchema<AuthSession>(AuthSessionSchema);
