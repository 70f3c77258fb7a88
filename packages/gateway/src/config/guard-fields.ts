import Type from 'typebox';

// Stand-ins for the guard's own configuration schemas (`src/guard/config-schema.ts`, built in
// parallel): replaced by the guard's exports when its branch is merged. They accept what the
// issue's contract names, nothing more.

/** `trust` (guard-owned). */
export const TrustConfigSchema = Type.Object({}, { additionalProperties: true });

/** `pins` (guard-owned). */
export const PinsConfigSchema = Type.Object(
  {
    store: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('redis')])),
    redis: Type.Optional(
      Type.Object(
        { url: Type.String({ pattern: '^rediss?://' }), prefix: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: true },
);

/** The guard's members of one upstream (guard-owned). */
export const UpstreamGuardSchema = Type.Object({
  mode: Type.Optional(Type.Union([Type.Literal('enforce'), Type.Literal('report')])),
  providers: Type.Array(Type.String({ minLength: 1 })),
});
