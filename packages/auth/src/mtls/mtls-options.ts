import Type, { type Static } from 'typebox';
import { NonEmptyString, PositiveInteger, StringList } from '../config/schema-parts.js';
import { BASE_PROVIDER_OPTIONS } from '../provider-options.js';

/** PEM text: one string holding one or more certificates, or a list of them. */
export const PemCertificates = Type.Union([NonEmptyString, StringList]);

/** Who a certificate identity is, when it needs more than its name. */
export const CertificateUserSchema = Type.Object(
  {
    userId: Type.Optional(NonEmptyString),
    projectId: Type.Optional(NonEmptyString),
    scopes: Type.Optional(StringList),
    roles: Type.Optional(StringList),
  },
  { additionalProperties: false },
);

/** Who a certificate identity is; see {@link CertificateUserSchema}. */
export type CertificateUser = Static<typeof CertificateUserSchema>;

/** Schema of {@link MtlsProviderOptions}. */
export const MtlsProviderOptionsSchema = Type.Object(
  {
    ...BASE_PROVIDER_OPTIONS,
    /** PEM text of the CA certificate(s) client certificates must chain to. */
    caCertificates: PemCertificates,
    /** PEM intermediates the server knows, besides those the client presents. */
    intermediates: Type.Optional(PemCertificates),
    /** When set, only certificates with one of these SHA-256 fingerprints (hex, colons optional). */
    pinnedFingerprints: Type.Optional(
      Type.Immutable(Type.Array(Type.String({ pattern: '^(?::?[0-9A-Fa-f]){64}:?$' }))),
    ),
    /** Where the user name comes from. Default `cn` (subject common name). */
    identity: Type.Optional(Type.Enum(['cn', 'san-dns', 'san-email', 'san-uri'])),
    /** Users by certificate identity (the name from `identity`). */
    users: Type.Optional(Type.Record(Type.String(), CertificateUserSchema)),
    /** Refuse identities not listed in `users`. Default false. */
    requireMapping: Type.Optional(Type.Boolean()),
    /** Scopes of identities without an entry in `users`. */
    defaultScopes: Type.Optional(StringList),
    /** Refuse certificates whose extended key usage excludes TLS client auth. Default true. */
    requireClientAuthUsage: Type.Optional(Type.Boolean()),
    /**
     * Addresses (CIDR) of TLS-terminating proxies whose forwarded certificate header is
     * believed. A forwarded certificate from anywhere else is refused: anyone can send a header.
     */
    trustedProxies: Type.Optional(StringList),
    /** Longest path from leaf to root. Default 5. */
    maxChainLength: Type.Optional(PositiveInteger),
  },
  { additionalProperties: false },
);

/** Options of `MtlsProvider`. */
export type MtlsProviderOptions = Static<typeof MtlsProviderOptionsSchema>;
