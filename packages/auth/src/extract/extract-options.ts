import { compileSchema } from '@etdi/core';
import Type, { type Static } from 'typebox';
import { HeaderName } from '../config/schema-parts.js';

/** Schema of {@link ExtractOptions}: also the `extraction` member of a configuration document. */
export const ExtractOptionsSchema = Type.Object(
  {
    /**
     * Headers to read credential fields from, by field. Default `{ apiKey: 'x-api-key' }`;
     * entries given here are added to (or replace) that default.
     */
    headers: Type.Optional(
      Type.Object(
        {
          apiKey: Type.Optional(HeaderName),
          gatewayKey: Type.Optional(HeaderName),
          projectId: Type.Optional(HeaderName),
          userId: Type.Optional(HeaderName),
          accessToken: Type.Optional(HeaderName),
          refreshToken: Type.Optional(HeaderName),
          idToken: Type.Optional(HeaderName),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * A header a TLS-terminating proxy puts the client certificate in: `pem` for a URL-encoded
     * PEM (nginx `$ssl_client_escaped_cert`, AWS ALB), `xfcc` for Envoy's
     * `X-Forwarded-Client-Cert`. Read here, trusted only by an mTLS provider configured with
     * the proxy's addresses.
     */
    clientCertificateHeader: Type.Optional(
      Type.Object(
        { name: HeaderName, format: Type.Enum(['pem', 'xfcc']) },
        { additionalProperties: false },
      ),
    ),
    /** Longest credential header accepted, in characters. Default 8192. */
    maxCredentialLength: Type.Optional(Type.Integer({ minimum: 64, maximum: 1_048_576 })),
    /** Read the TLS peer certificate from the socket. Default true. */
    tlsClientCertificate: Type.Optional(Type.Boolean()),
    /**
     * The router matches paths case-insensitively (Fastify `caseSensitive: false`), so endpoint
     * rules must too: `/ADMIN` then falls under `/admin/**`. Default false, as Fastify's default.
     */
    caseInsensitivePaths: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Options of `extractCredentials`. */
export type ExtractOptions = Static<typeof ExtractOptionsSchema>;

/** Extraction options given in code are checked once, when an authenticator is built. */
export const validateExtractOptions = compileSchema<ExtractOptions>(ExtractOptionsSchema);

/** Credential fields that can be read from a header of your choosing. */
export type HeaderCredentialField = keyof NonNullable<ExtractOptions['headers']>;
