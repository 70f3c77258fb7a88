/**
 * Renders docs/configuration.md from the configuration schemas themselves (TypeBox, validated
 * with ajv at start-up), the defaults objects the code reads, and the command lines' options, so
 * the reference cannot drift from what the services accept. `pnpm docs:config` writes it;
 * `tools/test/configuration.test.ts` regenerates it and fails when it differs.
 *
 * The walk is generic: objects, optional members, records (`patternProperties`), arrays of
 * objects and unions (`anyOf`) of any schema added later are listed without changes here. Only
 * prose lives here: a description for members whose schema carries none or only a generic one
 * (a note here wins), and where a default lives in code rather than in the schema.
 */
import {
  AUTH_DEFAULTS,
  AuthConfigSchema,
  ExtractOptionsSchema,
  PROVIDER_SCHEMAS,
} from '@etdi/auth';
import * as gateway from '@etdi/gateway';
import { GATEWAY_DEFAULTS, GUARD_DEFAULTS, GatewayConfigSchema } from '@etdi/gateway';
import { OAuthConfigSchema } from '@etdi/oauth';
import {
  REGISTRY_CLI_DEFAULTS,
  REGISTRY_DEFAULTS,
  RegistryConfigSchema,
  createRegistryProgram,
} from '@etdi/registry';
import type { Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';

/** A JSON Schema as TypeBox emits it (plain JSON; only what the walk reads). */
interface Schema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly patternProperties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: boolean | Schema;
  readonly items?: Schema;
  readonly anyOf?: readonly Schema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly default?: unknown;
  readonly description?: string;
}

/** One member of a configuration document. */
export interface ConfigRow {
  /** Dotted path; `<name>` for a key of a map, `[]` for an item of a list. */
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly default: string;
  readonly description: string;
}

/** Prose and code defaults of one document, keyed by the row's path. */
interface DocumentNotes {
  readonly descriptions: Readonly<Record<string, string>>;
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Paths whose members are documented elsewhere (a link in the description). */
  readonly stop?: readonly string[];
  /** How a map's keys are written in paths, by the map's path (default `<key>`). */
  readonly keyNames?: Readonly<Record<string, string>>;
  /** Notes of members that may not exist yet (features landing on other branches). */
  readonly optional?: readonly string[];
}

/** Duration patterns: `…(s|m|h|d…)`, `…(?:s|sec|m|min|h|d…)`. */
const isDurationPattern = (pattern: string) => pattern.includes('s|') && pattern.includes('|d');

function code(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

/** A short type: `string`, `duration`, `integer (1–4096)`, `"a" \| "b"`, `list of string`. */
function typeOf(schema: Schema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (schema.anyOf) return [...new Set(schema.anyOf.map(typeOf))].join(' \\| ');
  if (
    schema.patternProperties ||
    (typeof schema.additionalProperties === 'object' && !schema.properties)
  ) {
    const value =
      Object.values(schema.patternProperties ?? {})[0] ?? (schema.additionalProperties as Schema);
    return `map of ${typeOf(value)}`;
  }
  const type = typeof schema.type === 'string' ? schema.type : schema.type?.join(' \\| ');
  switch (type) {
    case 'string':
      if (schema.pattern && isDurationPattern(schema.pattern)) return 'duration';
      if (schema.pattern?.startsWith('^https?://')) return 'URL';
      if (schema.pattern?.startsWith('^rediss?://')) return 'Redis URL';
      return 'string';
    case 'integer':
    case 'number': {
      const range =
        schema.minimum !== undefined && schema.maximum !== undefined
          ? ` (${schema.minimum}–${schema.maximum})`
          : schema.minimum !== undefined
            ? ` (≥ ${schema.minimum})`
            : '';
      return `${type}${range}`;
    }
    case 'array':
      return schema.items ? `list of ${typeOf(schema.items)}` : 'list';
    case 'object':
      return 'object';
    case undefined:
      return 'any';
    default:
      return type;
  }
}

/** The object schemas a member's value may be (to walk into). */
function objectsOf(schema: Schema): Schema[] {
  if (schema.anyOf) return schema.anyOf.flatMap(objectsOf);
  return schema.type === 'object' ? [schema] : [];
}

/**
 * The members of one or several object schemas (the variants of a union), in declaration order:
 * a member of several variants is listed once (its schemas as a union when they differ), and is
 * required only when every variant requires it.
 */
function membersOf(objects: readonly Schema[]): [string, Schema, boolean][] {
  const order: string[] = [];
  const schemas = new Map<string, Schema[]>();
  for (const object of objects) {
    for (const [name, member] of Object.entries(object.properties ?? {})) {
      if (!schemas.has(name)) order.push(name);
      schemas.set(name, [...(schemas.get(name) ?? []), member]);
    }
  }
  return order.map((name) => {
    const all = schemas.get(name)!;
    const distinct = [...new Map(all.map((m) => [JSON.stringify(m), m])).values()];
    const merged = distinct.length === 1 ? distinct[0]! : { anyOf: distinct };
    return [name, merged, objects.every((o) => o.required?.includes(name) ?? false)];
  });
}

/** Every member of an object schema, depth first, in declaration order. */
export function walkSchema(root: Schema, notes: DocumentNotes, prefix = ''): ConfigRow[] {
  const rows: ConfigRow[] = [];
  const visit = (schema: Schema, path: string, required: boolean) => {
    if (path !== prefix) {
      const fallback = notes.defaults?.[path];
      rows.push({
        path,
        type: typeOf(schema),
        required,
        default:
          schema.default !== undefined
            ? code(schema.default)
            : fallback !== undefined
              ? code(fallback)
              : '',
        description: notes.descriptions[path] ?? schema.description ?? '',
      });
      if (notes.stop?.includes(path)) return;
    }
    const join = (name: string) => (path === '' ? name : `${path}.${name}`);
    const objects = objectsOf(schema);
    for (const [name, member, isRequired] of membersOf(objects)) {
      visit(member, join(name), isRequired);
    }
    for (const object of objects) {
      const mapValue =
        Object.values(object.patternProperties ?? {})[0] ??
        (typeof object.additionalProperties === 'object' && !object.properties
          ? object.additionalProperties
          : undefined);
      if (mapValue && objectsOf(mapValue).length > 0) {
        walkInto(mapValue, join(notes.keyNames?.[path] ?? '<key>'));
      }
    }
    if (schema.type === 'array' && schema.items && objectsOf(schema.items).length > 0) {
      walkInto(schema.items, `${path}[]`);
    }
  };
  // A map's values and a list's items are not members of their own: walk their members.
  const walkInto = (schema: Schema, path: string) => {
    for (const [name, member, isRequired] of membersOf(objectsOf(schema))) {
      visit(member, `${path}.${name}`, isRequired);
    }
  };
  visit(root, prefix, true);
  return rows;
}

/** Table-safe text: pipes escaped, and outside code spans `<` and `>` (not HTML tags). */
function escapeCell(text: string): string {
  return text
    .replace(/\n/g, ' ')
    .split('`')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[<>]/g, (c) => `\\${c}`)))
    .join('`')
    .replace(/\|/g, '\\|');
}

function table(rows: readonly ConfigRow[], extra?: (row: ConfigRow) => string): string {
  const head = extra
    ? '| member | type | required | default | variable / flag | meaning |\n| --- | --- | --- | --- | --- | --- |'
    : '| member | type | required | default | meaning |\n| --- | --- | --- | --- | --- |';
  const body = rows.map((r) => {
    const cells = [
      `\`${r.path}\``,
      r.type.includes('\\|') ? r.type : escapeCell(r.type),
      r.required ? 'yes' : '',
      r.default,
      ...(extra ? [extra(r)] : []),
      escapeCell(r.description),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [head, ...body].join('\n');
}

/** Fails on prose for a member that no longer exists, so the notes cannot rot. */
function checkNotes(name: string, rows: readonly ConfigRow[], notes: DocumentNotes): void {
  const paths = new Set(rows.map((r) => r.path));
  for (const key of [...Object.keys(notes.descriptions), ...Object.keys(notes.defaults ?? {})]) {
    if (!paths.has(key) && !notes.optional?.includes(key))
      throw new Error(`${name}: the notes name "${key}", which the schema has not`);
  }
}

// ---------------------------------------------------------------------------------------------
// The registry

const REGISTRY_NOTES: DocumentNotes = {
  descriptions: {
    host: 'address to listen on',
    port: 'port; `0` for any free port (the log line `Server listening at …` says which)',
    db: 'a SQLite file (relative to the configuration file), or a `postgres://` URL',
    dbSchema:
      'PostgreSQL schema of the tables (created by the migrations); default the search path',
    id: "the registry's provider id: `iss` of its receipts and revocation lists",
    key: 'the registry signing key: a private JWK (as `etdi keygen` writes it) bound to `id` or to no provider',
    adminKeyFile: 'a file holding the first admin API key (`keyId.secret`; only its hash is kept)',
    publicUrl:
      'absolute URL for the links in `/.well-known/etdi-registry`; default from the request',
    bodyLimitBytes: 'larger request bodies get 413 `payload-too-large`',
    rateLimit: 'requests per client address and window; `false` turns rate limiting off',
    'rateLimit.max': 'requests per window',
    'rateLimit.window': 'the window',
    revocationLifetime: '`exp` of each signed revocation list (re-signed at half of it)',
    logLevel: 'pino level; `Authorization` and `X-API-Key` are redacted',
    trustProxy:
      "Fastify's `trustProxy`: `true`, or the proxies' addresses/CIDRs; client addresses then come from `X-Forwarded-For`",
  },
  defaults: {
    host: REGISTRY_CLI_DEFAULTS.host,
    port: REGISTRY_CLI_DEFAULTS.port,
    db: REGISTRY_CLI_DEFAULTS.db,
    id: REGISTRY_CLI_DEFAULTS.id,
    logLevel: REGISTRY_CLI_DEFAULTS.logLevel,
    bodyLimitBytes: REGISTRY_DEFAULTS.bodyLimitBytes,
    'rateLimit.max': REGISTRY_DEFAULTS.rateLimit.max,
    'rateLimit.window': `${REGISTRY_DEFAULTS.rateLimit.windowMs / 1000}s`,
    revocationLifetime: `${REGISTRY_DEFAULTS.revocationLifetimeSec}s`,
    trustProxy: false,
  },
};

/** Variables the registry reads that are not a flag's: secrets stay out of argv and files. */
const REGISTRY_SECRET_VARIABLES: ReadonlyArray<readonly [string, string]> = [
  [
    'ETDI_REGISTRY_ADMIN_KEY',
    'the first admin API key itself (`keyId.secret`), instead of `--admin-key-file`; with `--dev` no key file is created when it is set',
  ],
  [
    'ETDI_REGISTRY_API_KEY_PEPPER',
    'a server-side secret mixed into API key hashes (HMAC); the same on every node, kept across restarts',
  ],
];

interface FlagRow {
  readonly command: string;
  readonly flags: string;
  readonly env: string;
  readonly description: string;
  /** The configuration file member of the same name, if any. */
  readonly member?: string;
}

function registryFlags(): FlagRow[] {
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
  const program = createRegistryProgram(
    io,
    () => {},
    () => {},
  );
  const members = new Set(Object.keys(RegistryConfigSchema.properties));
  const rows: FlagRow[] = [];
  for (const command of program.commands) {
    for (const option of command.options as readonly Option[]) {
      const member = option.attributeName();
      rows.push({
        command: command.name(),
        flags: option.flags,
        env: option.envVar ?? '',
        description: option.description,
        ...(members.has(member) ? { member } : {}),
      });
    }
  }
  return rows;
}

function registrySection(): string {
  const flags = registryFlags();
  const rows = walkSchema(RegistryConfigSchema as Schema, REGISTRY_NOTES);
  checkNotes('registry', rows, REGISTRY_NOTES);
  const flagOf = new Map<string, FlagRow>();
  for (const f of flags) if (f.member && !flagOf.has(f.member)) flagOf.set(f.member, f);
  const byFlag = new Map<string, FlagRow[]>();
  for (const f of flags) byFlag.set(f.flags, [...(byFlag.get(f.flags) ?? []), f]);
  const flagTable = [
    '| flag | variable | commands | meaning |',
    '| --- | --- | --- | --- |',
    ...[...byFlag.values()].map(
      (fs) =>
        `| \`${fs[0]!.flags.replace(/\|/g, '\\|')}\` | ${fs[0]!.env ? `\`${fs[0]!.env}\`` : ''} | ${fs.map((f) => f.command).join(', ')} | ${escapeCell(fs[0]!.description)} |`,
    ),
    ...REGISTRY_SECRET_VARIABLES.map(
      ([name, text]) => `|  | \`${name}\` | serve | ${escapeCell(text)} |`,
    ),
  ].join('\n');
  return [
    '## Registry (`etdi-registry`)',
    '',
    'Settings come from, in order of precedence: a command-line flag, its environment variable,',
    'the configuration file (`--config FILE`, YAML or JSON), the default. Unknown members of the',
    'file are refused, naming their JSON pointer; relative paths in it are relative to the file.',
    'More: [registry.md](registry.md#run-it).',
    '',
    '### Command line and environment',
    '',
    flagTable,
    '',
    '### Configuration file',
    '',
    table(rows, (r) => {
      const f = flagOf.get(r.path);
      return f ? `\`${f.env}\`, \`${f.flags.split(' ')[0]}\`` : '';
    }),
    '',
    'Options only code can set (`buildRegistry(options)`, defaults in `REGISTRY_DEFAULTS`):',
    `\`versionCache\` (${code(REGISTRY_DEFAULTS.versionCache)}), \`migrate\` (${code(REGISTRY_DEFAULTS.migrate)}),`,
    `\`closeStore\` (${code(REGISTRY_DEFAULTS.closeStore)}), \`processMetrics\` (${code(REGISTRY_DEFAULTS.processMetrics)}), \`logger\`, \`now\`.`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The gateway

const GATEWAY_NOTES: DocumentNotes = {
  stop: ['auth', 'upstreams.<name>.oauth'],
  keyNames: { upstreams: '<name>', 'upstreams.<name>.headers': '<header>' },
  descriptions: {
    listen: 'where the server listens',
    'listen.host': 'address to listen on',
    'listen.port': 'port; `0` for any free port',
    publicUrl:
      'the origin clients use (scheme, host, port; no path): RFC 9728 metadata, and the only accepted `Host` and `Origin`',
    allowedOrigins: 'more origins browsers may call from',
    auth: 'an @etdi/auth configuration document: the provider chain every MCP and admin route goes through; see [Authentication document](#authentication-document-auth)',
    trust: 'where keys, revocations and attested copies come from, and time limits',
    'trust.registry':
      'an ETDI registry as a source of provider keys, the signed revocation list and attested copies',
    'trust.registry.refreshInterval':
      'how often the registry JWKS and revocation list are refreshed',
    'trust.registry.maxStaleness':
      'past this without a successful refresh the gateway fails closed (`/readyz` 503, tools rejected as `stale`)',
    'trust.maxAge':
      'signatures issued longer ago than this are rejected as `stale`; default no limit',
    'trust.clockTolerance': 'allowed clock skew for `iat`, `nbf`, `exp`',
    pins: 'where approvals (pins) live and how a tool seen for the first time is treated',
    'pins.store': '`redis` shares approvals between gateway nodes',
    'pins.redis': 'needed with `store: redis`',
    sessions: 'which principal opened which MCP session',
    'sessions.store': 'default `redis` when `pins.store` is, else `memory`',
    'sessions.redis': 'default `pins.redis`; keys are `<prefix>session:<sha256>`',
    'sessions.redis.url': 'redis:// or rediss:// URL',
    'sessions.redis.prefix': 'key prefix',
    'sessions.ttl': 'how long a session stays bound without a DELETE',
    limits: 'request limits',
    'limits.maxRequestBytes': 'larger request bodies get 413 and never reach the upstream',
    resourceMetadata: 'members of the RFC 9728 protected-resource documents',
    'resourceMetadata.authorizationServers': 'authorization servers callers get tokens from',
    'resourceMetadata.scopesSupported': 'scopes the gateway understands',
    logLevel: "pino level of the bin's JSON logs (secrets are redacted)",
    upstreams:
      'the MCP servers behind the gateway, by name (`[A-Za-z0-9_-]{1,64}`: part of the URL `/servers/<name>/mcp`)',
    'upstreams.<name>.oauth':
      "the gateway's own OAuth client for this upstream: see [Upstream OAuth](#upstream-oauth-upstreamsnameoauth)",
    'upstreams.<name>.headers':
      'static headers sent upstream on every request (secrets: `${env:NAME}`)',
    'upstreams.<name>.timeout':
      "time to the upstream's response headers, and between body chunks (GET streams: headers only)",
    'upstreams.<name>.connections': 'keep-alive connections to the upstream',
  },
  defaults: {
    'listen.host': GATEWAY_DEFAULTS.listen.host,
    'listen.port': GATEWAY_DEFAULTS.listen.port,
    allowedOrigins: [],
    'trust.registry.refreshInterval': GUARD_DEFAULTS.registry.refreshInterval,
    'trust.registry.maxStaleness': GUARD_DEFAULTS.registry.maxStaleness,
    'trust.registry.requireReceipt': GUARD_DEFAULTS.registry.requireReceipt,
    'trust.clockTolerance': GUARD_DEFAULTS.clockTolerance,
    'pins.store': GUARD_DEFAULTS.pins.store,
    'pins.redis.prefix': GUARD_DEFAULTS.pins.redis.prefix,
    'pins.firstUse': GUARD_DEFAULTS.pins.firstUse,
    'sessions.redis.prefix': GATEWAY_DEFAULTS.sessionPrefix,
    'sessions.ttl': GATEWAY_DEFAULTS.sessionTtl,
    'sessions.maxPerPrincipal': GATEWAY_DEFAULTS.sessionsPerPrincipal,
    'limits.maxRequestBytes': GATEWAY_DEFAULTS.maxRequestBytes,
    logLevel: 'info',
    'upstreams.<name>.timeout': GATEWAY_DEFAULTS.timeout,
    'upstreams.<name>.connections': GATEWAY_DEFAULTS.connections,
    'upstreams.<name>.mode': GUARD_DEFAULTS.mode,
  },
};

/**
 * Stdio upstreams (`command`), when this build of the gateway has them: their defaults live in
 * `STDIO_DEFAULTS`, their duration members carry only the generic duration description.
 */
function stdioNotes(): DocumentNotes {
  const defaults = (gateway as Readonly<Record<string, unknown>>).STDIO_DEFAULTS as
    Readonly<Record<string, unknown>> | undefined;
  const base = 'upstreams.<name>';
  const descriptions: Record<string, string> = {
    [`${base}.idleTimeout`]: 'a child with nothing in flight for this long is stopped',
    [`${base}.initializeTimeout`]: 'a child that has not answered `initialize` by then is killed',
    [`${base}.shutdownGrace`]: 'time between SIGTERM and SIGKILL when children are stopped',
  };
  const defaultValues: Record<string, unknown> = {};
  for (const member of [
    'isolation',
    'maxProcesses',
    'idleTimeout',
    'initializeTimeout',
    'shutdownGrace',
  ]) {
    if (defaults?.[member] !== undefined) defaultValues[`${base}.${member}`] = defaults[member];
  }
  return {
    descriptions,
    defaults: defaultValues,
    optional: [...Object.keys(descriptions), ...Object.keys(defaultValues)],
  };
}

function gatewaySection(): string {
  const stdio = stdioNotes();
  const notes: DocumentNotes = {
    ...GATEWAY_NOTES,
    descriptions: { ...GATEWAY_NOTES.descriptions, ...stdio.descriptions },
    defaults: { ...GATEWAY_NOTES.defaults, ...stdio.defaults },
    optional: stdio.optional,
  };
  const rows = walkSchema(GatewayConfigSchema as Schema, notes);
  checkNotes('gateway', rows, notes);
  return [
    '## Gateway (`etdi-gateway`)',
    '',
    '`etdi-gateway --config FILE [--check] [--json]` reads one JSON or YAML document. It has no',
    'environment variables of its own: any string of the exact form `${env:NAME}` anywhere in the',
    'document (the `auth` document included) is replaced by that variable at start-up; an unset',
    'one is an error naming where it is used, and its value never appears in a message. Relative',
    'paths are relative to the configuration file; durations are strings with a unit (`60s`,',
    '`10m`, `24h`, `90d`). `--check` validates everything and prints each problem with its JSON',
    'pointer. More: [gateway.md](gateway.md#configuration).',
    '',
    table(rows),
    '',
    `Fixed limits (\`GATEWAY_DEFAULTS\`): JSON responses read for inspection up to ${GATEWAY_DEFAULTS.maxResponseBytes} bytes,`,
    `one SSE event up to ${GATEWAY_DEFAULTS.maxEventBytes} bytes, upstream keep-alive timeout ${GATEWAY_DEFAULTS.keepAliveTimeoutMs} ms.`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The auth document and the upstream OAuth client

const AUTH_NOTES: DocumentNotes = {
  stop: ['extraction'],
  keyNames: { providers: '<name>' },
  descriptions: {
    providers:
      "providers by name; each entry has a `type` (below) and that type's members; names are what `chain.providers` lists",
    'providers.<name>.type':
      '`apiKey`, `jwt`, `oauth2`, `basic`, `mtls`, `proxy`, or a registered custom type',
    chain: 'how providers combine; default every provider in the order written, `anyOf`',
    'chain.name': 'name of the chain in results and logs',
    'chain.mode': '`anyOf`: the first provider that accepts wins; `allOf`: every one must',
    'chain.providers': 'provider names, in order',
    extraction:
      'where credentials are read from (header names, client certificate header): see the table below',
    redis: 'the Redis shared by stores configured as `redis`',
    'redis.url': 'redis:// or rediss:// URL',
    'redis.prefix': 'key prefix of every store',
  },
  defaults: {
    'chain.name': AUTH_DEFAULTS.chain.name,
    'chain.mode': AUTH_DEFAULTS.chain.mode,
    'redis.prefix': AUTH_DEFAULTS.redis.prefix,
  },
};

/**
 * What provider members mean, by member name (`type.member` for one type only). Members a type
 * has that are named nowhere here show an empty meaning; the README section linked above each
 * table has them all.
 */
const PROVIDER_NOTES: Readonly<Record<string, string>> = {
  type: 'the provider type',
  name: 'name in results and logs',
  sessions: 'where sessions live: `memory` or `redis` (the top-level `redis`)',
  sessionTtl: 'how long a session lasts',
  store: 'where API keys live: `memory` (seeded from `keys`) or `redis`',
  rateLimiter: 'where rate limit counters live: `memory` (per node) or `redis` (shared)',
  pepper: 'server-side secret mixed into key hashes (HMAC); use `${env:NAME}`',
  credentialField: 'which extracted credential holds the key',
  acceptBearer: 'also accept `Authorization: Bearer keyId.secret`',
  requiredScopes: 'scopes every caller must have',
  defaultPolicy: 'policy of keys without their own: rate limits, IP and endpoint rules, hours',
  keyPrefix: 'prefix of generated key ids',
  keys: 'keys to seed the store with: key id, `hash` (`hashApiKey(key)`), owner, scopes, policy',
  'jwt.algorithms': 'accepted JWS algorithms (an allowlist; HS* only with `secret`)',
  jwksUrl: "https URL of the issuer's JWKS (cached)",
  jwks: 'an inline JWKS',
  publicKey: 'one public key: PEM text or a JWK',
  publicKeyFile: 'a PEM file with the public key (relative to the configuration file)',
  secret: 'HMAC secret for HS* tokens; use `${env:NAME}`',
  'jwt.issuer': 'required `iss` (one or several); `false` turns the check off explicitly',
  'jwt.audience': 'required `aud` (one or several); `false` turns the check off explicitly',
  requireExp: 'refuse tokens without `exp`',
  clockTolerance: 'allowed clock skew',
  maxTokenAge: 'refuse tokens whose `iat` is older than this',
  requiredClaims: 'claims a token must carry',
  typ: 'required JWT `typ` header',
  revocations: 'where revoked token ids (`jti`) live: `memory` or `redis`',
  userClaim: 'claim that names the user',
  projectClaim: 'claim that names the project',
  scopeClaim: 'claim that holds the scopes',
  rolesClaim: 'claim that holds the roles',
  endpointsClaim: 'claim that lists allowed endpoints',
  jwksCacheMaxAge: 'how long a fetched JWKS is used',
  jwksCooldown: 'least time between two JWKS fetches',
  jwksTimeout: 'JWKS fetch timeout',
  maxTokenLength: 'longer tokens are refused unparsed',
  allowLoopbackHttp: 'allow http:// on loopback hosts (tests)',
  method: '`source.method` that results report',
  introspectionEndpoint: 'RFC 7662 introspection endpoint (https)',
  userinfoEndpoint: 'OpenID Connect UserInfo endpoint (https)',
  tokenEndpoint: "token endpoint, for the provider's own client credentials",
  clientId: 'client id at the authorization server',
  clientSecret: 'client secret; use `${env:NAME}`',
  clientAuthMethod: 'how the client authenticates to the endpoints',
  'oauth2.issuer': 'required `iss` of introspection answers',
  'oauth2.audience': 'required `aud` of introspection answers',
  cacheMaxTtl: 'longest time an active answer is cached',
  negativeCacheTtl: 'how long an inactive answer is cached',
  maxCacheEntries: 'cache size',
  timeout: 'request timeout to the authorization server',
  users: 'the accepted users',
  maxPasswordLength: 'longer passwords are refused',
  caCertificates: 'PEM CA certificates client certificates must chain to',
  caFile: 'a PEM file of CA certificates (relative to the configuration file)',
  intermediates: 'PEM intermediate certificates',
  intermediatesFile: 'a PEM file of intermediate certificates',
  pinnedFingerprints: 'accept only certificates with these SHA-256 fingerprints',
  identity: 'which certificate field names the user',
  requireMapping: 'refuse certificates whose identity is not in `users`',
  defaultScopes: 'scopes of users with no mapping of their own',
  requireClientAuthUsage: 'require the clientAuth extended key usage',
  trustedProxies: 'addresses or CIDRs of proxies allowed to forward identities',
  maxChainLength: 'longest accepted certificate chain',
  clientAuthEnabled:
    '`false` with `trustProxyAuth: false`: every request is anonymous (a warning is logged)',
  trustProxyAuth: 'trust the identity header from `trustedProxies` (off by default)',
  proxyUserHeader: 'header naming the authenticated user',
  proxyGroupsHeader: "header listing the user's groups",
};

const PROVIDER_README_ANCHORS: Readonly<Record<string, string>> = {
  apiKey: 'api-keys--apikeyprovider',
  jwt: 'jwt--jwtprovider',
  oauth2: 'oauth2-introspection--introspectionprovider',
  basic: 'http-basic--basicauthprovider',
  mtls: 'mtls--mtlsprovider',
  proxy: 'trusted-proxy-header--trustedproxyprovider',
};

/** A document member's default: `AUTH_DEFAULTS[type][member]`, or its `…Ms`/`…Sec` option. */
function authDefault(type: string, member: string): unknown {
  const own = (AUTH_DEFAULTS as unknown as Record<string, Record<string, unknown> | undefined>)[
    type
  ];
  const sources = [own, AUTH_DEFAULTS.provider as Record<string, unknown>];
  for (const source of sources) {
    if (!source) continue;
    if (source[member] !== undefined && typeof source[member] !== 'object') return source[member];
    if (typeof source[`${member}Ms`] === 'number')
      return `${(source[`${member}Ms`] as number) / 1000}s`;
    if (typeof source[`${member}Sec`] === 'number') return `${source[`${member}Sec`] as number}s`;
  }
  return undefined;
}

function authSection(): string {
  const rows = walkSchema(AuthConfigSchema as Schema, AUTH_NOTES);
  checkNotes('auth', rows, AUTH_NOTES);
  const extractionNotes: DocumentNotes = {
    descriptions: {
      'extraction.headers':
        'which header carries which credential field (header names are case-insensitive)',
      'extraction.clientCertificateHeader':
        'a client certificate forwarded by a TLS-terminating proxy (trust it only behind that proxy)',
      'extraction.clientCertificateHeader.name': 'the header',
      'extraction.clientCertificateHeader.format':
        '`pem`: URL-encoded PEM (nginx `$ssl_client_escaped_cert`); `xfcc`: Envoy `X-Forwarded-Client-Cert`',
      'extraction.maxCredentialLength': 'a longer credential header is refused as unreadable',
      'extraction.tlsClientCertificate': 'read the TLS peer certificate of the connection',
      'extraction.caseInsensitivePaths': 'compare paths case-insensitively in endpoint rules',
    },
    defaults: {
      'extraction.headers.apiKey': AUTH_DEFAULTS.extraction.headers.apiKey,
      'extraction.maxCredentialLength': AUTH_DEFAULTS.extraction.maxCredentialLength,
      'extraction.tlsClientCertificate': AUTH_DEFAULTS.extraction.tlsClientCertificate,
      'extraction.caseInsensitivePaths': AUTH_DEFAULTS.extraction.caseInsensitivePaths,
    },
  };
  const extractionRows = walkSchema(ExtractOptionsSchema as Schema, extractionNotes, 'extraction');
  checkNotes('auth extraction', extractionRows, extractionNotes);
  const providers = Object.entries(PROVIDER_SCHEMAS as Readonly<Record<string, Schema>>).map(
    ([type, schema]) => {
      const base = walkSchema(schema, { descriptions: {} });
      const rows = base.map((r) => {
        const fallback = r.default === '' ? authDefault(type, r.path) : undefined;
        const description =
          r.description || (PROVIDER_NOTES[`${type}.${r.path}`] ?? PROVIDER_NOTES[r.path] ?? '');
        return {
          ...r,
          description,
          ...(fallback === undefined ? {} : { default: code(fallback) }),
        };
      });
      return [
        `#### \`type: ${type}\``,
        '',
        `Members and their meaning: [@etdi/auth README](../packages/auth/README.md#${PROVIDER_README_ANCHORS[type] ?? 'providers'}).`,
        '',
        table(rows),
      ].join('\n');
    },
  );
  return [
    '## Authentication document (`auth`)',
    '',
    "The gateway's `auth` member is an [@etdi/auth configuration document](../packages/auth/README.md#configuration-files)",
    "(`AuthConfigSchema`; each provider entry is then checked against its type's schema in",
    '`PROVIDER_SCHEMAS`). Durations are written without the unit their code option carries',
    '(`sessionTtl: 1h` is `sessionTtlMs: 3600000`); stores are `memory` or `redis`.',
    '',
    table(rows),
    '',
    '### `extraction`',
    '',
    table(extractionRows),
    '',
    '### Provider types',
    '',
    providers.join('\n\n'),
  ].join('\n');
}

function oauthSection(): string {
  const rows = walkSchema(OAuthConfigSchema as Schema, { descriptions: {} }, 'oauth');
  return [
    '## Upstream OAuth (`upstreams.<name>.oauth`)',
    '',
    "The gateway's own OAuth client for one upstream ([@etdi/oauth](../packages/oauth/README.md),",
    "`OAuthConfigSchema`, defaults in `OAUTH_CONFIG_DEFAULTS`): the caller's token never reaches",
    'the upstream. Secrets (`clientSecret`, `passphrase`) belong in `${env:NAME}` references.',
    '',
    table(rows),
  ].join('\n');
}

/** The variables of `etdi` (the CLI reads no configuration file). */
const CLI_VARIABLES: ReadonlyArray<readonly [string, string, string]> = [
  [
    'ETDI_REGISTRY_URL',
    '--registry',
    'the registry the registry commands (`provider`, `api-key`, `keys`, `publish`, `revoke`, `fetch`) talk to',
  ],
  [
    'ETDI_API_KEY',
    '--api-key',
    'an admin or publisher API key of the registry; sent as `Authorization: Bearer`, never printed',
  ],
];

function cliSection(): string {
  return [
    '## Command line (`etdi`)',
    '',
    '`etdi` reads no configuration file; every command takes flags ([cli.md](cli.md)). Two',
    'variables stand in for flags of the registry commands, so secrets stay out of shell history:',
    '',
    '| variable | flag | meaning |',
    '| --- | --- | --- |',
    ...CLI_VARIABLES.map(([name, flag, text]) => `| \`${name}\` | \`${flag}\` | ${text} |`),
  ].join('\n');
}

/** The whole page, formatted with the repository's Prettier settings. */
export async function renderConfigurationReference(): Promise<string> {
  const markdown = [
    '# Configuration reference',
    '',
    '<!-- Generated by `pnpm docs:config` (tools/docs-config.ts) from the configuration schemas,',
    '     the defaults objects and the command lines. Do not edit by hand: change the schema or the',
    '     notes in tools/config-reference.ts, then run `pnpm docs:config`. -->',
    '',
    'Every option of the registry and the gateway: its type, whether it is required, its default,',
    'its environment variable and what it does. Generated from the same TypeBox schemas the',
    'services validate their configuration with (ajv), so it cannot drift: a test regenerates it.',
    '',
    '- [Registry (`etdi-registry`)](#registry-etdi-registry)',
    '- [Gateway (`etdi-gateway`)](#gateway-etdi-gateway)',
    '- [Authentication document (`auth`)](#authentication-document-auth)',
    '- [Upstream OAuth (`upstreams.<name>.oauth`)](#upstream-oauth-upstreamsnameoauth)',
    '- [Command line (`etdi`)](#command-line-etdi)',
    '',
    'In paths, `<name>` stands for a key of a map and `[]` for an item of a list. Types: `duration`',
    'is a string with a unit (`45s`, `10m`, `12h`, `90d`); `A \\| B` is either.',
    '',
    registrySection(),
    '',
    gatewaySection(),
    '',
    authSection(),
    '',
    oauthSection(),
    '',
    cliSection(),
    '',
  ].join('\n');
  const options = (await resolveConfig(new URL('../docs/configuration.md', import.meta.url))) ?? {};
  return format(markdown, { ...options, parser: 'markdown' });
}

/** The committed page, for the drift test. */
export async function readConfigurationReference(): Promise<string> {
  return readFile(new URL('../docs/configuration.md', import.meta.url), 'utf8');
}
