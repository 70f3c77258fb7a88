// Request and response schemas of the registry API, written once with TypeBox: Fastify
// validates requests with them (strict ajv, nothing stripped or coerced but query strings) and
// @fastify/swagger publishes them as OpenAPI 3.1.
import { RFC3339_DATE_TIME, SignedToolSchema, TrustJwkSchema, TrustJwksSchema } from '@etdi/core';
import Type, { type Static } from 'typebox';

/** A provider id by the wire format's rule (§1.5). */
export const ProviderIdSchema = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,255}$',
  description: 'Provider id (a namespace such as com.acme); percent-encode "/" in paths',
  examples: ['com.acme'],
});
const ToolNameSchema = Type.String({
  pattern: '^[A-Za-z0-9_.-]{1,128}$',
  description: 'Tool name',
  examples: ['read_file'],
});
const VersionSchema = Type.String({ minLength: 1, maxLength: 256, examples: ['1.2.0'] });
const DigestSchema = Type.String({
  pattern: '^[A-Za-z0-9_-]{43}$',
  description: 'base64url SHA-256 of the canonical signed content (wire format §1.3)',
});
const DateTimeSchema = Type.String({
  pattern: RFC3339_DATE_TIME,
  description: 'RFC 3339 date-time',
});
const ReasonSchema = Type.String({ minLength: 1, maxLength: 512 });

export const IssParams = Type.Object({ iss: ProviderIdSchema }, { additionalProperties: false });
export const ToolParams = Type.Object(
  { iss: ProviderIdSchema, name: ToolNameSchema },
  { additionalProperties: false },
);
export const VersionParams = Type.Object(
  {
    iss: ProviderIdSchema,
    name: ToolNameSchema,
    ver: Type.String({
      ...VersionSchema,
      description: 'A semantic version, or `latest`',
    }),
  },
  { additionalProperties: false },
);
export const DigestParams = Type.Object({ dig: DigestSchema }, { additionalProperties: false });
export const ApiKeyParams = Type.Object(
  { iss: ProviderIdSchema, keyId: Type.String({ pattern: '^[A-Za-z0-9_-]{4,64}$' }) },
  { additionalProperties: false },
);

/** RFC 9457 problem with the registry's stable `code`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({
      description: 'Stable code: switch on it (a reason code for a refused tool)',
    }),
    instance: Type.Optional(Type.String()),
    pointer: Type.Optional(Type.String({ description: 'JSON pointer of the offending member' })),
  },
  { additionalProperties: true, description: 'application/problem+json (RFC 9457)' },
);

// Bodies

export const CreateProviderBody = Type.Object(
  { iss: Type.String({ minLength: 1, maxLength: 1024, description: 'The new provider id' }) },
  { additionalProperties: false },
);
export type CreateProviderBody = Static<typeof CreateProviderBody>;

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200, description: 'A label for people' })),
    expiresAt: Type.Optional(DateTimeSchema),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

const B64URL = '^[A-Za-z0-9_-]+$';
/**
 * One key of a trust JWKS as a publisher sends it: core's trust JWK with its `kid` and `iss`
 * required and nothing else allowed (a private member is refused before this, by name).
 */
export const TrustJwkInput = Type.Object(
  {
    ...TrustJwkSchema.properties,
    kid: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'RFC 7638 thumbprint' }),
    iss: ProviderIdSchema,
  },
  { additionalProperties: false },
);
export const TrustJwksBody = Type.Object(
  { keys: Type.Array(TrustJwkInput, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false, description: 'A trust JWKS (wire format §3)' },
);
export type TrustJwksBody = Static<typeof TrustJwksBody>;

export const PublishBody = Type.Object(
  {
    tools: Type.Array(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description:
            'A signed MCP tool (wire format v1): checked by the verifier, whose reason code a refusal names',
        },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);
export type PublishBody = Static<typeof PublishBody>;

export const RevocationBody = Type.Object(
  {
    kid: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    iss: Type.Optional(ProviderIdSchema),
    sub: Type.Optional(ToolNameSchema),
    ver: Type.Optional(VersionSchema),
    dig: Type.Optional(DigestSchema),
    reason: Type.Optional(ReasonSchema),
  },
  {
    additionalProperties: false,
    description: 'Exactly one of {kid}, {iss, sub[, ver]} or {dig}, with an optional reason',
  },
);
export type RevocationBody = Static<typeof RevocationBody>;

export const VersionStatusBody = Type.Object(
  {
    status: Type.Enum(['active', 'deprecated', 'yanked']),
    reason: Type.Optional(ReasonSchema),
  },
  { additionalProperties: false },
);
export type VersionStatusBody = Static<typeof VersionStatusBody>;

export const ListToolsQuery = Type.Object(
  {
    iss: Type.Optional(ProviderIdSchema),
    q: Type.Optional(
      Type.String({ maxLength: 200, description: 'Substring of name, title or description' }),
    ),
    cursor: Type.Optional(Type.String({ pattern: B64URL, maxLength: 1400 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Default 50' })),
  },
  { additionalProperties: false },
);
export type ListToolsQuery = Static<typeof ListToolsQuery>;

// Replies

const Jwk = TrustJwkSchema;
export const JwksReply = TrustJwksSchema;

export const RegistryDocumentReply = Type.Object(
  {
    id: Type.String(),
    jwks_uri: Type.String(),
    revocations_uri: Type.String(),
    keys: JwksReply,
  },
  { additionalProperties: false },
);

export const ProviderReply = Type.Object(
  { iss: Type.String(), createdAt: Type.String() },
  { additionalProperties: false },
);

export const ApiKeyReply = Type.Object(
  {
    apiKey: Type.String({ description: 'Shown once; the registry keeps only its hash' }),
    keyId: Type.String(),
    iss: Type.String(),
    expiresAt: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const KeysReply = Type.Object(
  {
    keys: Type.Array(Jwk),
    results: Type.Array(
      Type.Object(
        { kid: Type.String(), outcome: Type.Enum(['added', 'updated', 'unchanged']) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PublishReply = Type.Object(
  {
    tools: Type.Array(
      Type.Object(
        {
          iss: Type.String(),
          name: Type.String(),
          ver: Type.String(),
          dig: Type.String(),
          outcome: Type.Enum(['created', 'unchanged']),
          receipt: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ToolListReply = Type.Object(
  {
    tools: Type.Array(
      Type.Object(
        {
          iss: Type.String(),
          name: Type.String(),
          latest: Type.Union([Type.String(), Type.Null()]),
          title: Type.Optional(Type.String()),
          description: Type.Optional(Type.String()),
          versions: Type.Integer(),
        },
        { additionalProperties: false },
      ),
    ),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

const VersionSummary = Type.Object(
  {
    ver: Type.String(),
    dig: Type.String(),
    perms: Type.Array(Type.String()),
    kid: Type.String(),
    status: Type.Enum(['active', 'deprecated', 'yanked']),
    publishedAt: Type.String(),
  },
  { additionalProperties: false },
);

export const VersionsReply = Type.Object(
  {
    iss: Type.String(),
    name: Type.String(),
    latest: Type.Union([Type.String(), Type.Null()]),
    versions: Type.Array(VersionSummary),
  },
  { additionalProperties: false },
);

export const VersionStatusReply = Type.Object(
  {
    iss: Type.String(),
    name: Type.String(),
    ver: Type.String(),
    status: VersionSummary.properties.status,
  },
  { additionalProperties: false },
);

/** A signed tool, served byte for byte as published. */
export const SignedToolReply = SignedToolSchema;

export const DigestReply = Type.Object(
  {
    tools: Type.Array(SignedToolReply),
    receipts: Type.Array(Type.String(), {
      description: "The registry's receipt of each tool, in order",
    }),
  },
  { additionalProperties: false },
);

export const RevocationReply = Type.Object(
  {
    entry: Type.Object({}, { additionalProperties: true, description: 'The entry in force' }),
    seq: Type.Integer({ description: 'Sequence number of the revocation list holding it' }),
  },
  { additionalProperties: false },
);

export const StatusReply = Type.Object({ status: Type.String() }, { additionalProperties: true });
