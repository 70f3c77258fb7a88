import { compileSchema } from '@etdi/core';

/** An RFC 7662 §2.2 introspection response (extension members are allowed). */
export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  jti?: string;
  [extension: string]: unknown;
}

/** An RFC 6749 §5.1 token response. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  id_token?: string;
  [extension: string]: unknown;
}

/** An OpenID Connect UserInfo response. */
export interface UserinfoResponse {
  sub: string;
  [claim: string]: unknown;
}

/** Answers from the introspection endpoint are a trust boundary: validated before use. */
export const validateIntrospection = compileSchema<IntrospectionResponse>({
  type: 'object',
  required: ['active'],
  properties: {
    active: { type: 'boolean' },
    scope: { type: 'string' },
    client_id: { type: 'string' },
    username: { type: 'string' },
    token_type: { type: 'string' },
    exp: { type: 'number' },
    iat: { type: 'number' },
    nbf: { type: 'number' },
    sub: { type: 'string' },
    aud: { type: ['string', 'array'], items: { type: 'string' } },
    iss: { type: 'string' },
    jti: { type: 'string' },
  },
});

/** Validates a token endpoint answer (refresh). */
export const validateTokenResponse = compileSchema<TokenResponse>({
  type: 'object',
  required: ['access_token', 'token_type'],
  properties: {
    access_token: { type: 'string', minLength: 1 },
    token_type: { type: 'string' },
    expires_in: { type: 'number', minimum: 0 },
    refresh_token: { type: 'string', minLength: 1 },
    scope: { type: 'string' },
    id_token: { type: 'string' },
  },
});

/** Validates a UserInfo answer: at least a non-empty `sub`. */
export const validateUserinfo = compileSchema<UserinfoResponse>({
  type: 'object',
  required: ['sub'],
  properties: { sub: { type: 'string', minLength: 1 } },
});
