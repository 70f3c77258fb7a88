import {
  compileSchema,
  formatIssues,
  pointerToken,
  schemaIssues,
  type SchemaIssue,
} from '@etdi/core';
import { AuthError } from '../errors.js';
import type { AuthConfig } from './auth-config.js';
import { PROVIDER_VALIDATORS, type BuiltinProviderType } from './provider-schemas.js';

const headerName = { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" } as const;

const validateTop = compileSchema<AuthConfig>({
  type: 'object',
  additionalProperties: false,
  required: ['providers'],
  properties: {
    providers: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,64}$' },
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string', minLength: 1 } },
      },
    },
    chain: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1 },
        mode: { enum: ['anyOf', 'allOf'] },
        providers: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      },
    },
    extraction: {
      type: 'object',
      additionalProperties: false,
      properties: {
        headers: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(
            [
              'apiKey',
              'gatewayKey',
              'projectId',
              'userId',
              'accessToken',
              'refreshToken',
              'idToken',
            ].map((k) => [k, headerName]),
          ),
        },
        clientCertificateHeader: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'format'],
          properties: { name: headerName, format: { enum: ['pem', 'xfcc'] } },
        },
        maxCredentialLength: { type: 'integer', minimum: 64, maximum: 1_048_576 },
        tlsClientCertificate: { type: 'boolean' },
        caseInsensitivePaths: { type: 'boolean' },
      },
    },
    redis: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^rediss?://' },
        prefix: { type: 'string' },
      },
    },
  },
});

/** Schema of a custom provider type; see `BuildAuthenticatorOptions.providerTypes`. */
export type CustomTypeSchemas = Readonly<Record<string, object | undefined>>;

const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Replaces every string `${env:NAME}` by that variable, so secrets stay out of config files. */
function interpolate(
  value: unknown,
  pointer: string,
  env: Readonly<Record<string, string | undefined>>,
  issues: SchemaIssue[],
): unknown {
  if (typeof value === 'string') {
    const ref = ENV_REF.exec(value);
    if (!ref) return value;
    const found = env[ref[1]!];
    if (found === undefined) {
      issues.push({ pointer, message: `environment variable ${ref[1]} is not set` });
      return value;
    }
    return found;
  }
  if (Array.isArray(value))
    return value.map((v, i) => interpolate(v, `${pointer}/${i}`, env, issues));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        interpolate(v, `${pointer}/${pointerToken(k)}`, env, issues),
      ]),
    );
  }
  return value;
}

const customValidators = new WeakMap<object, ReturnType<typeof compileSchema>>();

/** Options of {@link validateAuthConfig}. */
export interface ValidateAuthConfigOptions {
  /** Where `${env:NAME}` references are looked up. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** JSON Schemas of custom provider types, by type name (`undefined`: any options). */
  customTypes?: CustomTypeSchemas;
}

/**
 * Validates a configuration document and returns it with `${env:NAME}` references resolved.
 * Every problem is reported at once, each located by a JSON pointer: unknown keys, missing
 * required keys, wrong types, unknown provider types, a chain naming an unknown provider, a
 * Redis store without a Redis URL, gateway keys without the header they are read from. Throws `AuthError('invalid-config')` with `issues`.
 *
 * @example
 * validateAuthConfig({ providers: { jwt: { type: 'jwt', algorithm: ['RS256'] } } });
 * // AuthError: invalid auth configuration: /providers/jwt/algorithm: unknown key "algorithm";
 * //   /providers/jwt/algorithms: missing required key "algorithms"
 */
export function validateAuthConfig(
  document: unknown,
  options: ValidateAuthConfigOptions = {},
): AuthConfig {
  const issues: SchemaIssue[] = [];
  const config = interpolate(document, '', options.env ?? process.env, issues);
  if (!validateTop(config)) {
    issues.push(...schemaIssues(validateTop.errors));
    throw new AuthError('invalid-config', formatIssues('invalid auth configuration', issues), {
      issues,
    });
  }
  const custom = options.customTypes ?? {};
  const known = [...Object.keys(PROVIDER_VALIDATORS), ...Object.keys(custom)];
  let needsRedis: string | undefined;
  for (const [name, provider] of Object.entries(config.providers)) {
    const base = `/providers/${pointerToken(name)}`;
    const type = provider.type;
    if (Object.hasOwn(PROVIDER_VALIDATORS, type)) {
      const validate = PROVIDER_VALIDATORS[type as BuiltinProviderType];
      if (!validate(provider)) issues.push(...schemaIssues(validate.errors, base));
    } else if (Object.hasOwn(custom, type)) {
      const schema = custom[type];
      if (schema) {
        let validate = customValidators.get(schema);
        if (!validate) {
          validate = compileSchema(schema);
          customValidators.set(schema, validate);
        }
        if (!validate(provider)) issues.push(...schemaIssues(validate.errors, base));
      }
    } else {
      issues.push({
        pointer: `${base}/type`,
        message: `unknown provider type "${type}" (known: ${known.join(', ')})`,
      });
      continue;
    }
    for (const key of ['store', 'rateLimiter', 'revocations', 'sessions']) {
      if (provider[key] === 'redis') needsRedis ??= `${base}/${key}`;
    }
    // Extraction has no default header for gateway keys: the provider would never see a key.
    if (
      type === 'apiKey' &&
      provider.credentialField === 'gatewayKey' &&
      config.extraction?.headers?.gatewayKey === undefined
    ) {
      issues.push({
        pointer: `${base}/credentialField`,
        message:
          '"gatewayKey" needs the header it is read from in /extraction/headers/gatewayKey (e.g. X-Gateway-Key)',
      });
    }
  }
  if (needsRedis && !config.redis) {
    issues.push({
      pointer: '/redis',
      message: `missing: ${needsRedis} uses Redis, so "redis.url" is required`,
    });
  }
  const names = new Set(Object.keys(config.providers));
  const seen = new Set<string>();
  config.chain?.providers?.forEach((name, index) => {
    if (!names.has(name)) {
      issues.push({
        pointer: `/chain/providers/${index}`,
        message: `unknown provider "${name}" (configured: ${[...names].join(', ')})`,
      });
    } else if (seen.has(name)) {
      issues.push({
        pointer: `/chain/providers/${index}`,
        message: `provider "${name}" is listed twice`,
      });
    }
    seen.add(name);
  });
  if (issues.length > 0) {
    throw new AuthError('invalid-config', formatIssues('invalid auth configuration', issues), {
      issues,
    });
  }
  return config;
}
