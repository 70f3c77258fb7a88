/** Options of {@link protectedResourceMetadata}. */
export interface ResourceMetadataOptions {
  readonly authorizationServers?: readonly string[] | undefined;
  readonly scopesSupported?: readonly string[] | undefined;
}

/** The path of a resource's RFC 9728 metadata document: the well-known prefix, then its path. */
export function resourceMetadataPath(resourcePath: string): string {
  return `/.well-known/oauth-protected-resource${resourcePath === '/' ? '' : resourcePath}`;
}

/**
 * An RFC 9728 protected resource metadata document: which resource this is, which
 * authorization servers issue tokens for it, and how to present them.
 */
export function protectedResourceMetadata(
  resource: string,
  options: ResourceMetadataOptions,
): Record<string, unknown> {
  return {
    resource,
    ...(options.authorizationServers?.length
      ? { authorization_servers: options.authorizationServers }
      : {}),
    ...(options.scopesSupported?.length ? { scopes_supported: options.scopesSupported } : {}),
    bearer_methods_supported: ['header'],
    resource_name: 'ETDI gateway',
  };
}
