import Type, { type Static } from 'typebox';
import { NonEmptyString, PositiveInteger, StringList } from '../config/schema-parts.js';
import { BASE_PROVIDER_OPTIONS } from '../provider-options.js';

/** A user of `BasicAuthProvider`: a name and an scrypt hash, never a password. */
export const BasicUserSchema = Type.Object(
  {
    username: NonEmptyString,
    /** From `hashPassword`: `$scrypt$ln=…,r=…,p=…$<salt>$<hash>`. */
    passwordHash: NonEmptyString,
    /** Default: the username. */
    userId: Type.Optional(NonEmptyString),
    projectId: Type.Optional(NonEmptyString),
    scopes: Type.Optional(StringList),
    roles: Type.Optional(StringList),
    /** Default true. */
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A user of `BasicAuthProvider`; see {@link BasicUserSchema}. */
export type BasicUser = Static<typeof BasicUserSchema>;

/** Schema of {@link BasicAuthProviderOptions}. */
export const BasicAuthProviderOptionsSchema = Type.Object(
  {
    ...BASE_PROVIDER_OPTIONS,
    users: Type.Immutable(Type.Array(BasicUserSchema)),
    /** Longest password accepted. Default 1024: scrypt of a megabyte is a denial of service. */
    maxPasswordLength: Type.Optional(PositiveInteger),
  },
  { additionalProperties: false },
);

/** Options of `BasicAuthProvider`. */
export type BasicAuthProviderOptions = Static<typeof BasicAuthProviderOptionsSchema>;
