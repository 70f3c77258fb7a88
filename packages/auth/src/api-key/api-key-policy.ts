import { assertTimeZone, type AllowedHours } from '../policy/allowed-hours.js';
import { EndpointMatcher } from '../policy/endpoint-matcher.js';
import { IpMatcher } from '../policy/ip-matcher.js';
import type { ApiKeyPolicy } from './api-key-record.js';
import type { RateLimit } from './rate-limiter.js';

/**
 * A policy with its CIDR lists and endpoint patterns compiled, ready to check requests. Each
 * member is a list because the provider's default policy and the key's own both apply: a request
 * is denied when any deny list matches, and admitted only when every allow list admits it.
 */
export interface CompiledPolicy {
  readonly rateLimits: readonly RateLimit[];
  /** Every one must hold the address. An empty list (`allowedIps: []`) admits nobody. */
  readonly allowedIps: readonly IpMatcher[];
  /** None may hold the address. */
  readonly deniedIps: readonly IpMatcher[];
  /** Every one must admit the endpoint. */
  readonly allowedEndpoints: readonly EndpointMatcher[];
  /** None may match the endpoint. */
  readonly blockedEndpoints: readonly EndpointMatcher[];
  /** Every one must hold the time. */
  readonly allowedHours: readonly AllowedHours[];
}

/**
 * Compiles a policy its schema has accepted (`ApiKeyPolicySchema`: rate limits, the shape of
 * allowed hours): the CIDR ranges, endpoint patterns and time zone, which a schema cannot check,
 * throw `AuthError('invalid-config')` naming the entry.
 */
export function compilePolicy(policy: ApiKeyPolicy | undefined, where = '/policy'): CompiledPolicy {
  const rateLimits: RateLimit[] = [];
  const r = policy?.rateLimits;
  for (const [field, window] of [
    ['perMinute', 'minute'],
    ['perHour', 'hour'],
    ['perDay', 'day'],
  ] as const) {
    const limit = r?.[field];
    if (limit !== undefined) rateLimits.push({ window, limit });
  }
  if (policy?.allowedHours) assertTimeZone(policy.allowedHours, `${where}/allowedHours`);
  // An allow list that is present applies even when empty (and then admits nothing): a list
  // emptied by mistake fails closed. A deny list that is empty denies nothing.
  const allow = <T>(items: readonly string[] | undefined, make: (items: readonly string[]) => T) =>
    items === undefined ? [] : [make(items)];
  const deny = <T>(items: readonly string[] | undefined, make: (items: readonly string[]) => T) =>
    items === undefined || items.length === 0 ? [] : [make(items)];
  return {
    rateLimits,
    allowedIps: allow(policy?.allowedIps, (x) => new IpMatcher(x, `${where}/allowedIps`)),
    deniedIps: deny(policy?.deniedIps, (x) => new IpMatcher(x, `${where}/deniedIps`)),
    allowedEndpoints: allow(
      policy?.allowedEndpoints,
      (x) => new EndpointMatcher(x, `${where}/allowedEndpoints`),
    ),
    blockedEndpoints: deny(
      policy?.blockedEndpoints,
      (x) => new EndpointMatcher(x, `${where}/blockedEndpoints`),
    ),
    allowedHours: policy?.allowedHours ? [policy.allowedHours] : [],
  };
}

/**
 * A key's own policy on top of the provider's default. A key can narrow the default, never
 * widen it: deny lists add up (the default's blocked endpoints stay blocked whatever the key's
 * list says), allow lists and allowed hours must all admit the request. Rate limits are quotas,
 * not restrictions: the key's limit for a window replaces the default's for that window.
 */
export function combinePolicies(base: CompiledPolicy, own: CompiledPolicy): CompiledPolicy {
  const windows = new Set(own.rateLimits.map((l) => l.window));
  return {
    rateLimits: [...base.rateLimits.filter((l) => !windows.has(l.window)), ...own.rateLimits],
    allowedIps: [...base.allowedIps, ...own.allowedIps],
    deniedIps: [...base.deniedIps, ...own.deniedIps],
    allowedEndpoints: [...base.allowedEndpoints, ...own.allowedEndpoints],
    blockedEndpoints: [...base.blockedEndpoints, ...own.blockedEndpoints],
    allowedHours: [...base.allowedHours, ...own.allowedHours],
  };
}
