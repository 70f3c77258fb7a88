import Type, { type Static } from 'typebox';
import { HeaderName, StringList } from '../config/schema-parts.js';
import { BASE_PROVIDER_OPTIONS } from '../provider-options.js';

/** Schema of {@link TrustedProxyProviderOptions}. */
export const TrustedProxyProviderOptionsSchema = Type.Object(
  {
    ...BASE_PROVIDER_OPTIONS,
    /**
     * Whether callers must authenticate themselves (with the other providers of the chain).
     * Default true. Turning it off without `trustProxyAuth` leaves everyone anonymous.
     */
    clientAuthEnabled: Type.Optional(Type.Boolean()),
    /** Believe the user named by `proxyUserHeader`. Default false. */
    trustProxyAuth: Type.Optional(Type.Boolean()),
    /** Header the authenticating proxy names the user in. Default `X-Authenticated-User`. */
    proxyUserHeader: Type.Optional(HeaderName),
    /** Optional header with the user's groups (comma separated), recorded as roles. */
    proxyGroupsHeader: Type.Optional(HeaderName),
    /**
     * Addresses (CIDR, IPv4 and IPv6) of the proxies whose header is believed. Required with
     * `trustProxyAuth`: the same header from anywhere else is refused, never believed.
     */
    trustedProxies: Type.Optional(StringList),
    /** Scopes granted to users the proxy names. Default none. */
    defaultScopes: Type.Optional(StringList),
  },
  { additionalProperties: false },
);

/** Options of `TrustedProxyProvider`. */
export type TrustedProxyProviderOptions = Static<typeof TrustedProxyProviderOptionsSchema>;
