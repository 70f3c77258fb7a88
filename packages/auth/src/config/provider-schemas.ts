import { compileSchema } from '@etdi/core';
import type { ValidateFunction } from 'ajv';
import Type, { type TObject, type TSchema } from 'typebox';
import { API_KEY_RECORD_PROPERTIES } from '../api-key/api-key-record.js';
import { ApiKeyProviderOptionsSchema } from '../api-key/api-key-options.js';
import { BasicAuthProviderOptionsSchema } from '../basic/basic-options.js';
import { JwtProviderOptionsSchema } from '../jwt/jwt-options.js';
import { MtlsProviderOptionsSchema, PemCertificates } from '../mtls/mtls-options.js';
import { IntrospectionProviderOptionsSchema } from '../oauth/introspection-options.js';
import { TrustedProxyProviderOptionsSchema } from '../proxy/trusted-proxy-options.js';
import { Duration, NonEmptyString, StoreKind } from './schema-parts.js';

/** A duration member of a document, and the option (in code units) it becomes. */
export interface DocumentDuration {
  /** The option's name: `sessionTtlMs` for the document's `sessionTtl`. */
  readonly option: string;
  readonly unit: 'Ms' | 'Sec';
  /** The option's lower bound, in its unit. */
  readonly minimum: number;
}

/**
 * A built-in provider type: its options schema (what code passes to the constructor) and the
 * configuration document schema derived from it, compiled once. Providers check their options
 * with it, and answer `validateConfig` and `requiredConfigKeys` from it.
 */
export interface ProviderDefinition {
  /** The `type` documents name it by. */
  readonly type: string;
  /** For messages: `JWT provider`. */
  readonly title: string;
  readonly validateOptions: ValidateFunction;
  /** The JSON Schema of a configuration document for this type. */
  readonly documentSchema: TObject;
  readonly validateDocument: ValidateFunction;
  /** Document members that are durations (`sessionTtl: 1h`), by name. */
  readonly durations: ReadonlyMap<string, DocumentDuration>;
  /** Keys a document must have. */
  readonly requiredKeys: readonly string[];
}

/** How a type's documents differ from its options. */
interface DocumentRules {
  /** Members a document holds in another form: a store as `memory` or `redis`, a URL as text. */
  readonly replace?: Readonly<Record<string, TSchema>>;
  /** Members only documents have: a file to read a key from, keys to seed a store with. */
  readonly add?: Readonly<Record<string, TSchema>>;
}

// Options only code can pass: they never appear in a document.
const CODE_ONLY = new Set(['logger', 'now', 'fetch']);
const DURATION_OPTION = /^(.+)(Ms|Sec)$/;

/**
 * Derives a document schema from an options schema, so a type is described once: code-only
 * members dropped, `sessions` (and `rules.replace`) in their document form, and every duration
 * option (`…Ms`, `…Sec`) as a duration string under the name without its unit
 * (`sessionTtlMs: 3600000` is `sessionTtl: 1h`).
 */
function define(
  type: string,
  title: string,
  options: TObject,
  rules: DocumentRules = {},
): ProviderDefinition {
  const properties: Record<string, TSchema> = { type: Type.Literal(type) };
  const durations = new Map<string, DocumentDuration>();
  const replace: Readonly<Record<string, TSchema>> = {
    sessions: Type.Optional(StoreKind),
    ...rules.replace,
  };
  for (const [key, schema] of Object.entries(options.properties as Record<string, TSchema>)) {
    if (CODE_ONLY.has(key)) continue;
    if (Object.hasOwn(replace, key)) {
      properties[key] = replace[key]!;
      continue;
    }
    const duration = DURATION_OPTION.exec(key);
    const numeric = schema as { type?: unknown; minimum?: number };
    if (duration && (numeric.type === 'integer' || numeric.type === 'number')) {
      properties[duration[1]!] = Type.IsOptional(schema) ? Type.Optional(Duration) : Duration;
      durations.set(duration[1]!, {
        option: key,
        unit: duration[2] as 'Ms' | 'Sec',
        minimum: numeric.minimum ?? 0,
      });
      continue;
    }
    properties[key] = schema;
  }
  Object.assign(properties, rules.add);
  const documentSchema = Type.Object(properties, { additionalProperties: false });
  return {
    type,
    title,
    validateOptions: compileSchema(options),
    documentSchema,
    validateDocument: compileSchema(documentSchema),
    durations,
    requiredKeys: (documentSchema as { required?: string[] }).required ?? [],
  };
}

// A date in a document: ISO 8601 text or epoch milliseconds.
const DateValue = Type.Union([Type.Number(), NonEmptyString]);

/** Keys to seed an API key store with: records as stores hold them, dates also as text. */
const ConfigApiKeyRecord = Type.Object(
  {
    ...API_KEY_RECORD_PROPERTIES,
    scopes: Type.Optional(API_KEY_RECORD_PROPERTIES.scopes),
    active: Type.Optional(API_KEY_RECORD_PROPERTIES.active),
    createdAt: Type.Optional(DateValue),
    expiresAt: Type.Optional(DateValue),
  },
  { additionalProperties: false },
);

/** Every built-in provider type, by the `type` documents name it by. */
export const PROVIDER_DEFINITIONS = {
  apiKey: define('apiKey', 'API key provider', ApiKeyProviderOptionsSchema, {
    replace: {
      store: Type.Optional(StoreKind),
      rateLimiter: Type.Optional(StoreKind),
      pepper: Type.Optional(NonEmptyString),
    },
    add: { keys: Type.Optional(Type.Array(ConfigApiKeyRecord)) },
  }),
  jwt: define('jwt', 'JWT provider', JwtProviderOptionsSchema, {
    replace: {
      jwksUrl: Type.Optional(NonEmptyString),
      publicKey: Type.Optional(
        Type.Union([
          NonEmptyString,
          Type.Object({ kty: NonEmptyString }, { additionalProperties: true }),
        ]),
      ),
      secret: Type.Optional(NonEmptyString),
      revocations: Type.Optional(StoreKind),
    },
    add: { publicKeyFile: Type.Optional(NonEmptyString) },
  }),
  oauth2: define('oauth2', 'OAuth2 provider', IntrospectionProviderOptionsSchema, {
    replace: {
      introspectionEndpoint: Type.Optional(NonEmptyString),
      userinfoEndpoint: Type.Optional(NonEmptyString),
      tokenEndpoint: Type.Optional(NonEmptyString),
    },
  }),
  basic: define('basic', 'Basic provider', BasicAuthProviderOptionsSchema),
  mtls: define('mtls', 'mTLS provider', MtlsProviderOptionsSchema, {
    replace: { caCertificates: Type.Optional(PemCertificates) },
    add: {
      caFile: Type.Optional(NonEmptyString),
      intermediatesFile: Type.Optional(NonEmptyString),
    },
  }),
  proxy: define('proxy', 'Trusted proxy provider', TrustedProxyProviderOptionsSchema),
} as const satisfies Record<string, ProviderDefinition>;

/** A built-in provider type. */
export type BuiltinProviderType = keyof typeof PROVIDER_DEFINITIONS;

/** The JSON Schema of each built-in provider type's configuration document, by type name. */
export const PROVIDER_SCHEMAS: Readonly<Record<BuiltinProviderType, TObject>> = Object.freeze(
  Object.fromEntries(
    Object.entries(PROVIDER_DEFINITIONS).map(([type, d]) => [type, d.documentSchema]),
  ) as Record<BuiltinProviderType, TObject>,
);
