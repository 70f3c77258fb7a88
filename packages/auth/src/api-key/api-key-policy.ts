import { AuthError } from '../errors.js';
import { assertAllowedHours, type AllowedHours } from '../util/allowed-hours.js';
import { EndpointMatcher } from '../util/endpoint-matcher.js';
import { IpMatcher } from '../util/ip-matcher.js';
import type { ApiKeyPolicy } from './api-key-record.js';
import type { RateLimit } from './rate-limiter.js';

/** A policy with its CIDR lists and endpoint patterns compiled, ready to check requests. */
export interface CompiledPolicy {
  readonly rateLimits: readonly RateLimit[];
  readonly allowedIps: IpMatcher | undefined;
  readonly deniedIps: IpMatcher | undefined;
  readonly allowedEndpoints: EndpointMatcher | undefined;
  readonly blockedEndpoints: EndpointMatcher | undefined;
  readonly allowedHours: AllowedHours | undefined;
}

/** Compiles a policy; malformed entries throw `AuthError('invalid-config')` naming the entry. */
export function compilePolicy(policy: ApiKeyPolicy | undefined, where = '/policy'): CompiledPolicy {
  const rateLimits: RateLimit[] = [];
  const r = policy?.rateLimits;
  for (const [field, window] of [
    ['perMinute', 'minute'],
    ['perHour', 'hour'],
    ['perDay', 'day'],
  ] as const) {
    const limit = r?.[field];
    if (limit === undefined) continue;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new AuthError(
        'invalid-config',
        `${where}/rateLimits/${field}: must be a positive integer`,
        {
          pointer: `${where}/rateLimits/${field}`,
        },
      );
    }
    rateLimits.push({ window, limit });
  }
  if (policy?.allowedHours) assertAllowedHours(policy.allowedHours, `${where}/allowedHours`);
  const list = <T>(items: readonly string[] | undefined, make: (items: readonly string[]) => T) =>
    items && items.length > 0 ? make(items) : undefined;
  return {
    rateLimits,
    allowedIps: list(policy?.allowedIps, (x) => new IpMatcher(x, `${where}/allowedIps`)),
    deniedIps: list(policy?.deniedIps, (x) => new IpMatcher(x, `${where}/deniedIps`)),
    allowedEndpoints: list(
      policy?.allowedEndpoints,
      (x) => new EndpointMatcher(x, `${where}/allowedEndpoints`),
    ),
    blockedEndpoints: list(
      policy?.blockedEndpoints,
      (x) => new EndpointMatcher(x, `${where}/blockedEndpoints`),
    ),
    allowedHours: policy?.allowedHours,
  };
}

/** The key's own policy over the provider's default, member by member. */
export function mergePolicies(
  base: ApiKeyPolicy | undefined,
  own: ApiKeyPolicy | undefined,
): ApiKeyPolicy | undefined {
  if (!base) return own;
  if (!own) return base;
  return { ...base, ...own, rateLimits: { ...base.rateLimits, ...own.rateLimits } };
}
