import { compileSchema } from '@etdi/core';
import Type, { type Static } from 'typebox';

// Answers of the authorization server are a trust boundary: validated before use. Extension
// members are allowed (RFC 7662 §2.2, RFC 6749 §5.1, OIDC UserInfo).

const IntrospectionResponseSchema = Type.Object({
  active: Type.Boolean(),
  scope: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  token_type: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Number()),
  iat: Type.Optional(Type.Number()),
  nbf: Type.Optional(Type.Number()),
  sub: Type.Optional(Type.String()),
  aud: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  iss: Type.Optional(Type.String()),
  jti: Type.Optional(Type.String()),
});

/** An RFC 7662 §2.2 introspection response. */
export type IntrospectionResponse = Static<typeof IntrospectionResponseSchema>;

const TokenResponseSchema = Type.Object({
  access_token: Type.String({ minLength: 1 }),
  token_type: Type.String(),
  expires_in: Type.Optional(Type.Number({ minimum: 0 })),
  refresh_token: Type.Optional(Type.String({ minLength: 1 })),
  scope: Type.Optional(Type.String()),
  id_token: Type.Optional(Type.String()),
});

/** An RFC 6749 §5.1 token response. */
export type TokenResponse = Static<typeof TokenResponseSchema>;

const UserinfoResponseSchema = Type.Object({ sub: Type.String({ minLength: 1 }) });

/** An OpenID Connect UserInfo response: at least a non-empty `sub`, and any other claims. */
export type UserinfoResponse = Static<typeof UserinfoResponseSchema> &
  Readonly<Record<string, unknown>>;

/** Validates an introspection answer. */
export const validateIntrospection = compileSchema<IntrospectionResponse>(
  IntrospectionResponseSchema,
);

/** Validates a token endpoint answer (refresh). */
export const validateTokenResponse = compileSchema<TokenResponse>(TokenResponseSchema);

/** Validates a UserInfo answer. */
export const validateUserinfo = compileSchema<UserinfoResponse>(UserinfoResponseSchema);
