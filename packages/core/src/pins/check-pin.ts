import semver from 'semver';
import { isSemanticVersion, sortedUnique } from '../sign/claims.js';
import type { Pin } from './pin-store.js';

/** What a verified definition is, relative to the pin of its tool. */
export type PinCheck =
  | { readonly ok: true; readonly action: 'first-use' | 'unchanged' | 'upgrade' }
  | {
      readonly ok: false;
      readonly reason: 'rug-pull' | 'rollback' | 'reapproval-required';
      readonly detail: string;
    };

/** The parts of a definition the pin checks look at. */
export interface PinSubject {
  ver: string;
  dig: string;
  /** Sorted, de-duplicated. (Pins are compared as sets, whatever order a store kept.) */
  perms: readonly string[];
}

/**
 * The stateful checks of DESIGN.md against the approved pin of the same `(iss, sub)`:
 * same `ver` with another `dig` or other `perms` → `rug-pull`; older `ver` → `rollback`;
 * newer `ver` whose `perms` widen the approved ones → `reapproval-required`.
 */
export function checkPin(pin: Pin | undefined, s: PinSubject): PinCheck {
  if (!pin) return { ok: true, action: 'first-use' };
  if (!isSemanticVersion(pin.ver) || !Array.isArray(pin.perms) || typeof pin.dig !== 'string') {
    // A pin written by a buggy or foreign store: fail closed, never guess.
    return {
      ok: false,
      reason: 'reapproval-required',
      detail: `the stored pin of ${pin.iss}/${pin.sub} is corrupt (ver ${JSON.stringify(pin.ver)}); approve the tool again`,
    };
  }
  const approvedPerms = sortedUnique(pin.perms);
  const order = semver.compare(s.ver, pin.ver);
  if (order === 0) {
    if (s.dig !== pin.dig) {
      return {
        ok: false,
        reason: 'rug-pull',
        detail: `version ${s.ver} was approved with digest ${pin.dig}; this definition has ${s.dig}`,
      };
    }
    if (s.perms.length !== approvedPerms.length || s.perms.some((p, i) => p !== approvedPerms[i])) {
      return {
        ok: false,
        reason: 'rug-pull',
        detail: `version ${s.ver} was approved with permissions [${pin.perms.join(' ')}]; it now asks for [${s.perms.join(' ')}]`,
      };
    }
    return { ok: true, action: 'unchanged' };
  }
  if (order < 0) {
    return {
      ok: false,
      reason: 'rollback',
      detail: `version ${s.ver} is older than the approved version ${pin.ver}`,
    };
  }
  const approved = new Set(approvedPerms);
  const added = s.perms.filter((p) => !approved.has(p));
  if (added.length > 0) {
    return {
      ok: false,
      reason: 'reapproval-required',
      detail: `version ${s.ver} adds permissions [${added.join(' ')}] to approved version ${pin.ver}`,
    };
  }
  return { ok: true, action: 'upgrade' };
}
