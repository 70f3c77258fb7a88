import type { AllowedHours } from '../util/allowed-hours.js';

/** Per-key limits and restrictions; every member is optional. */
export interface ApiKeyPolicy {
  /** Fixed-window request limits (UTC-aligned minute, hour, day). */
  readonly rateLimits?: {
    readonly perMinute?: number;
    readonly perHour?: number;
    readonly perDay?: number;
  };
  /**
   * When set, only these addresses / CIDR ranges (IPv4 or IPv6) may use the key; `[]` means
   * nobody. With a default policy, both lists must admit the address.
   */
  readonly allowedIps?: readonly string[];
  /** Never these addresses; checked before `allowedIps`. Adds to the default policy's list. */
  readonly deniedIps?: readonly string[];
  /**
   * When set, only these endpoints: `"/mcp"`, `"POST /tools/*"`, `"/admin/**"`; `[]` means none.
   * With a default policy, both lists must admit the endpoint.
   */
  readonly allowedEndpoints?: readonly string[];
  /** Never these endpoints; checked before `allowedEndpoints`. Adds to the default's list. */
  readonly blockedEndpoints?: readonly string[];
  /** Local hours the key may be used in (and the default policy's, if it has some). */
  readonly allowedHours?: AllowedHours;
}

/** What a store holds for one key. Never the secret: only its hash. */
export interface ApiKeyRecord {
  readonly keyId: string;
  /** `sha256:…` or `hmac-sha256:…` of the whole key; see `hashApiKey`. */
  readonly hash: string;
  readonly userId: string;
  readonly projectId?: string;
  /** A label for people, e.g. "CI deploy key". */
  readonly name?: string;
  readonly scopes: readonly string[];
  readonly roles?: readonly string[];
  readonly active: boolean;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds; absent means the key does not expire. */
  readonly expiresAt?: number;
  readonly policy?: ApiKeyPolicy;
}
