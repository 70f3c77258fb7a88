import Type, { type Static } from 'typebox';

/**
 * The `trust`, `pins` and per-upstream guard sections of the gateway configuration document
 * (issue "@etdi/gateway", the names are the contract). The proxy composes them into the
 * top-level schema; `createToolGuard` validates its own sections again, so the guard can be used
 * on its own.
 */

/** A duration with a unit, as configuration documents write them: `60s`, `10m`, `12h`, `90d`. */
export const DurationSchema = Type.String({
  pattern: '^[0-9]+(\\.[0-9]+)?(s|m|h|d|w|y)$',
  description: 'a duration with a unit: 45s, 10m, 12h, 90d, 2w, 1y',
});

/** `trust.registry`: the registry as a source of keys, revocations and attested copies. */
export const RegistryTrustSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      description: 'base URL of an ETDI registry (https, or http on a loopback host)',
    }),
    refreshInterval: Type.Optional(DurationSchema),
    maxStaleness: Type.Optional(DurationSchema),
    requireReceipt: Type.Optional(
      Type.Boolean({
        description:
          'accept a signed definition only if the registry countersigned it (ETDI-Receipt)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `trust`: where the keys, revocations and attested copies come from, and time limits. */
export const TrustConfigSchema = Type.Object(
  {
    jwks: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'trust JWKS files (each key bound to a provider by "iss"); reloaded on change',
      }),
    ),
    registry: Type.Optional(RegistryTrustSchema),
    signedTools: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'files of signed tool definitions as `etdi sign` writes them (attested copies)',
      }),
    ),
    maxAge: Type.Optional(DurationSchema),
    clockTolerance: Type.Optional(DurationSchema),
  },
  { additionalProperties: false },
);

/** `pins.redis`. */
export const RedisPinsSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'redis:// or rediss:// URL' }),
    prefix: Type.Optional(Type.String({ description: 'key prefix; default etdi:gw:' })),
  },
  { additionalProperties: false },
);

/** `pins`: where approvals are kept and how a tool seen for the first time is treated. */
export const PinsConfigSchema = Type.Object(
  {
    store: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('redis')])),
    redis: Type.Optional(RedisPinsSchema),
    firstUse: Type.Optional(
      Type.Union([Type.Literal('approve'), Type.Literal('hold')], {
        description:
          'approve: trust a verified tool on first use; hold: keep it out until an admin approves it',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The guard's fields of one upstream (`upstreams.<name>`). The proxy spreads
 * `UpstreamGuardSchema.properties` into its own upstream object.
 */
export const UpstreamGuardSchema = Type.Object(
  {
    mode: Type.Optional(
      Type.Union([Type.Literal('enforce'), Type.Literal('report')], {
        description: 'enforce: drop rejected tools; report: pass them, flagged',
      }),
    ),
    providers: Type.Array(Type.String({ minLength: 1 }), {
      description: "provider ids (iss) allowed to sign this upstream's tools",
    }),
  },
  { additionalProperties: false },
);

/** The `trust` section, as validated. */
export type TrustConfig = Static<typeof TrustConfigSchema>;
/** The `pins` section, as validated. */
export type PinsConfig = Static<typeof PinsConfigSchema>;
/** The guard's fields of one upstream, as validated. */
export type UpstreamGuardConfig = Static<typeof UpstreamGuardSchema>;

/** The parts of the gateway configuration document the guard reads. */
export interface ToolGuardConfig {
  readonly trust: TrustConfig;
  readonly pins?: PinsConfig | undefined;
  /** Every upstream by name; members other than the guard's (url, oauth, ...) are ignored. */
  readonly upstreams: Readonly<Record<string, UpstreamGuardConfig>>;
}

/** The one defaults object of the guard's configuration sections. */
export const GUARD_DEFAULTS = {
  mode: 'enforce',
  registry: { refreshInterval: '60s', maxStaleness: '10m', requireReceipt: false },
  clockTolerance: '60s',
  pins: { store: 'memory', firstUse: 'approve', redis: { prefix: 'etdi:gw:' } },
} as const;
