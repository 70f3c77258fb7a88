import Type, { type Static } from 'typebox';
import { NonEmptyString, Runtime, StringList, StringOr } from '../config/schema-parts.js';
import { BASE_PROVIDER_OPTIONS } from '../provider-options.js';
import { ApiKeyPolicySchema } from './api-key-record.js';
import type { ApiKeyStore } from './api-key-store.js';
import type { RateLimiter } from './rate-limiter.js';

/** Schema of {@link ApiKeyProviderOptions}. */
export const ApiKeyProviderOptionsSchema = Type.Object(
  {
    ...BASE_PROVIDER_OPTIONS,
    /** Where records live. */
    store: Runtime<ApiKeyStore>(),
    /** Where rate-limit counters live. Default: this process's memory. */
    rateLimiter: Type.Optional(Runtime<RateLimiter>()),
    /** Server-side secret mixed into key hashes (HMAC-SHA-256). Must match the stored hashes. */
    pepper: Type.Optional(StringOr<Buffer>()),
    /** Credential field the key is read from. Default `apiKey` (the `X-API-Key` header). */
    credentialField: Type.Optional(Type.Enum(['apiKey', 'gatewayKey'])),
    /** Also accept a key sent as `Authorization: Bearer keyId.secret`. Default false. */
    acceptBearer: Type.Optional(Type.Boolean()),
    /** Scopes every key must hold, e.g. `['mcp:call']`. */
    requiredScopes: Type.Optional(StringList),
    /**
     * Applies to every key. A key's own policy narrows it, never widens it: deny lists add up,
     * allow lists and allowed hours must all admit a request; the key's rate limit for a window
     * replaces the default's.
     */
    defaultPolicy: Type.Optional(ApiKeyPolicySchema),
    /** Prefix of generated key ids. Default `etdi_`. */
    keyPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{0,32}$' })),
  },
  { additionalProperties: false },
);

/** Options of `ApiKeyProvider`. */
export type ApiKeyProviderOptions = Static<typeof ApiKeyProviderOptionsSchema>;

/** Schema of {@link IssueApiKeyOptions}. */
export const IssueApiKeyOptionsSchema = Type.Object(
  {
    userId: NonEmptyString,
    projectId: Type.Optional(NonEmptyString),
    /** A label for people, e.g. "CI deploy key". */
    name: Type.Optional(Type.String()),
    scopes: Type.Optional(Type.Immutable(Type.Array(Type.String()))),
    roles: Type.Optional(Type.Immutable(Type.Array(Type.String()))),
    /** Epoch milliseconds. */
    expiresAt: Type.Optional(Type.Number()),
    policy: Type.Optional(ApiKeyPolicySchema),
  },
  { additionalProperties: false },
);

/** Options of `ApiKeyProvider.issueKey`. */
export type IssueApiKeyOptions = Static<typeof IssueApiKeyOptionsSchema>;
