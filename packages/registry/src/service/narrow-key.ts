import { TrustStore } from '@etdi/core';
import type { KeyRecord, KeyStatement, NarrowKey } from '../store/registry-store.js';
import { trustJwkOf } from './trust-jwk.js';

/**
 * The state of a known key after a new statement about it, by the wire format's rule (§3): trust
 * only narrows. The status moves active → retired → revoked and never back, `notAfter` only
 * moves earlier, `notBefore` only later; a statement that would widen is ignored. `undefined`
 * when nothing changes. The merge is core's `TrustStore`'s, so the registry and every verifier
 * agree on it.
 */
export const narrowKey: NarrowKey = async (current: KeyRecord, incoming: KeyStatement) => {
  const trust = await TrustStore.fromJwks(
    { keys: [trustJwkOf(current)] },
    { keys: [trustJwkOf({ ...current, ...incoming, iss: current.iss })] },
  );
  const merged = trust.get(current.kid)!.jwk;
  const next = {
    status: merged.status ?? 'active',
    ...(merged.notBefore === undefined ? {} : { notBefore: merged.notBefore }),
    ...(merged.notAfter === undefined ? {} : { notAfter: merged.notAfter }),
  };
  const same =
    next.status === current.status &&
    sameInstant(next.notBefore, current.notBefore) &&
    sameInstant(next.notAfter, current.notAfter);
  return same ? undefined : next;
};

function sameInstant(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000);
}
