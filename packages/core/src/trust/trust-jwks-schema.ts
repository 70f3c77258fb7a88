/** JSON Schema of a trust JWKS document (RFC 7517 JWKS whose keys carry ETDI members). */
export const TRUST_JWKS_SCHEMA = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kty'],
        properties: {
          kty: { enum: ['OKP', 'EC', 'RSA'] },
          kid: { type: 'string', minLength: 1 },
          alg: { enum: ['EdDSA', 'ES256', 'PS256'] },
          use: { const: 'sig' },
          iss: { type: 'string', minLength: 1, maxLength: 256 },
          status: { enum: ['active', 'retired', 'revoked'] },
          notBefore: { type: 'string', format: 'date-time' },
          notAfter: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;
