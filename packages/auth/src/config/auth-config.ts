import type { ExtractOptions } from '../extract/extract-credentials.js';
import type { ChainMode } from '../chain/provider-chain.js';

/** Configuration of one provider: its `type` and that type's options (see the README). */
export interface ProviderConfig {
  readonly type: string;
  readonly [option: string]: unknown;
}

/**
 * An authentication configuration document, as read from JSON or YAML.
 *
 * @example
 * {
 *   "chain": { "mode": "anyOf", "providers": ["mtls", "jwt"] },
 *   "providers": {
 *     "mtls": { "type": "mtls", "caFile": "clients-ca.pem" },
 *     "jwt": { "type": "jwt", "jwksUrl": "https://idp/jwks.json", "algorithms": ["RS256"] }
 *   }
 * }
 */
export interface AuthConfig {
  /** Providers by name; names are what the chain refers to. */
  readonly providers: Readonly<Record<string, ProviderConfig>>;
  /** Default: every provider, in the order listed, `anyOf`. */
  readonly chain?: {
    readonly name?: string;
    readonly mode?: ChainMode;
    readonly providers?: readonly string[];
  };
  /** How credentials are read from requests. */
  readonly extraction?: ExtractOptions;
  /** Shared Redis, for stores configured as `redis`. */
  readonly redis?: { readonly url: string; readonly prefix?: string };
}
