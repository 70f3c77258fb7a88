import {
  compileSchema,
  formatIssues,
  pointerToken,
  resolveEnvReferences,
  schemaIssues,
  type SchemaIssue,
} from '@etdi/core';
import { AuthError } from '../errors.js';
import { AuthConfigSchema, type AuthConfig } from './auth-config.js';
import { PROVIDER_DEFINITIONS, type BuiltinProviderType } from './provider-schemas.js';

const validateTop = compileSchema<AuthConfig>(AuthConfigSchema);

/** Schema of a custom provider type; see `BuildAuthenticatorOptions.providerTypes`. */
export type CustomTypeSchemas = Readonly<Record<string, object | undefined>>;

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
  const config = resolveEnvReferences(document, options.env ?? process.env, issues);
  if (!validateTop(config)) {
    issues.push(...schemaIssues(validateTop.errors));
    throw new AuthError('invalid-config', formatIssues('invalid auth configuration', issues), {
      issues,
    });
  }
  const custom = options.customTypes ?? {};
  const known = [...Object.keys(PROVIDER_DEFINITIONS), ...Object.keys(custom)];
  let needsRedis: string | undefined;
  for (const [name, provider] of Object.entries(config.providers)) {
    const base = `/providers/${pointerToken(name)}`;
    const type = provider.type;
    if (Object.hasOwn(PROVIDER_DEFINITIONS, type)) {
      const validate = PROVIDER_DEFINITIONS[type as BuiltinProviderType].validateDocument;
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
