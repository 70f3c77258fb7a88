import Type from 'typebox';
import { SIGNING_ALGORITHMS } from '../keys/algorithms.js';

/** An RFC 3339 date-time, as trust JWKS validity dates are written. */
export const RFC3339_DATE_TIME =
  '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:[Zz]|[+-]\\d{2}:\\d{2})$';

/**
 * JSON Schema of one key of a trust JWKS: a public JWK (RFC 7517) of a supported type, bound to
 * the provider it signs for (`iss`), with the registry's `status` and validity dates (RFC 3339).
 * Other JWK members are allowed. What a schema cannot see (the key material, a `kid` that must
 * be the key's RFC 7638 thumbprint, private members, a retired key without `notAfter`) the
 * {@link TrustStore} checks when it loads the document.
 */
export const TrustJwkSchema = Type.Object({
  kty: Type.Enum(['OKP', 'EC', 'RSA']),
  kid: Type.Optional(Type.String({ minLength: 1 })),
  alg: Type.Optional(Type.Enum([...SIGNING_ALGORITHMS])),
  use: Type.Optional(Type.Literal('sig')),
  crv: Type.Optional(Type.String()),
  x: Type.Optional(Type.String()),
  y: Type.Optional(Type.String()),
  n: Type.Optional(Type.String()),
  e: Type.Optional(Type.String()),
  iss: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  status: Type.Optional(Type.Enum(['active', 'retired', 'revoked'])),
  notBefore: Type.Optional(Type.String({ pattern: RFC3339_DATE_TIME })),
  notAfter: Type.Optional(Type.String({ pattern: RFC3339_DATE_TIME })),
});

/**
 * JSON Schema of a trust JWKS document (`{ "keys": [...] }`), the one the {@link TrustStore}
 * validates with: for registry routes (`GET /.well-known/jwks.json`, `POST
 * /v1/providers/{iss}/keys`) and configuration files. A plain JSON Schema object (TypeBox, no
 * `$id`), accepted by `createAjv()` in strict mode.
 *
 * @example
 * app.get('/.well-known/jwks.json', { schema: { response: { 200: TrustJwksSchema } } }, h);
 */
export const TrustJwksSchema = Type.Object({ keys: Type.Array(TrustJwkSchema) });
