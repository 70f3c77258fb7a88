import Type, { type TUnsafe } from 'typebox';

// The building blocks of the package's TypeBox schemas (options, configuration documents, stored
// records), so each rule is written once.

/** A non-empty string. */
export const NonEmptyString = Type.String({ minLength: 1 });

/** A list of non-empty strings (scopes, roles, claims, CIDR ranges). */
export const StringList = Type.Immutable(Type.Array(NonEmptyString));

/** An integer of at least 1. */
export const PositiveInteger = Type.Integer({ minimum: 1 });

/** An integer of at least 0. */
export const NonNegativeInteger = Type.Integer({ minimum: 0 });

/** An HTTP header name (RFC 9110 token). */
export const HeaderName = Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" });

/** Where a configuration document keeps a store: this process's memory or the shared Redis. */
export const StoreKind = Type.Enum(['memory', 'redis']);

/**
 * A duration in a configuration document: a number with an optional unit (`45s`, `10m`, `12h`,
 * `90d`, `2w`; seconds without one), as `@etdi/core`'s `parseDuration` reads it.
 */
export const Duration = Type.String({
  pattern: '^[0-9]{1,9}(?:\\.[0-9]+)?(?:s|sec|m|min|h|d|w|y)?$',
});

/**
 * A value JSON Schema cannot describe (a function, a store, a key object): accepted by the schema
 * as it is, typed `T`, and checked by the code that uses it.
 */
export function Runtime<T>(): TUnsafe<T> {
  return Type.Unsafe<T>({});
}

/**
 * A non-empty string, or an object of type `T` that only code can pass (a `URL`, a `Buffer`, a
 * `KeyObject`), checked by the code that uses it.
 */
export function StringOr<T>(): TUnsafe<string | T> {
  return Type.Unsafe<string | T>({ anyOf: [NonEmptyString, { type: 'object' }] });
}
