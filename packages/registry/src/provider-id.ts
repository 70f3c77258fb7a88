import { assertProviderId } from '@etdi/core';
import unhomoglyph from 'unhomoglyph';
import { RegistryError } from './errors.js';

/** How a provider id is compared with the ids already registered. */
export interface ProviderIdentity {
  /** The id exactly as registered and as signatures carry it (`iss`). */
  readonly iss: string;
  /** NFKC, then full case folding: `COM.ACME` and `ｃｏｍ.ａｃｍｅ` fold to `com.acme`. */
  readonly folded: string;
  /**
   * The UTS #39 skeleton of the folded id, folded again (ids are case-insensitive, and the
   * prototypes of confusables.txt are not: `0` maps to `O`): `com.acrne`, `c0m.acme` and
   * `com.acme` share one.
   */
  readonly skeleton: string;
}

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * NFKC and case folding. JavaScript has no full case fold; upper- then lower-casing folds what
 * matters here (`ß` → `ss`, `ǅ` → `ǆ`, Kelvin sign → `k`), and NFKC again after it.
 */
export function foldProviderId(iss: string): string {
  return iss.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * The UTS #39 §4 skeleton: NFD, default-ignorable code points removed, each character replaced
 * by its prototype from Unicode's confusables.txt (the `unhomoglyph` package carries the data),
 * NFD again. Two ids are confusable when their skeletons are equal. A skeleton is for comparing,
 * never for showing.
 */
export function confusableSkeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD').replace(IGNORABLE, '')).normalize('NFD');
}

/** The folded form and skeleton of a provider id, without checking the wire format's rule. */
export function providerIdentity(iss: string): ProviderIdentity {
  const folded = foldProviderId(iss);
  return { iss, folded, skeleton: foldProviderId(confusableSkeleton(folded)) };
}

/** Whether `iss` follows the wire format's provider id rule (§1.5). */
export function isProviderId(iss: string): boolean {
  try {
    assertProviderId(iss);
    return true;
  } catch {
    return false;
  }
}

/** Throws `invalid-provider-id` (400) naming the rule when `iss` breaks it. */
export function assertRegistryProviderId(iss: string, pointer: string): void {
  if (!isProviderId(iss)) {
    throw new RegistryError(
      'invalid-provider-id',
      `provider id ${JSON.stringify(iss)} must be 1–256 characters of letters, digits and . _ : / @ -, starting with a letter or digit (e.g. com.acme)`,
      { pointer },
    );
  }
}
