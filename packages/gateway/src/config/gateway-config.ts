import type { OAuthConfig } from '@etdi/oauth';
import type { GatewayConfigDocument, UpstreamConfigDocument } from './schema.js';
import type { StdioUpstreamConfig } from './stdio-config.js';

/** One upstream, resolved: durations in milliseconds, its URL parsed. */
export interface UpstreamConfig {
  readonly name: string;
  /** An HTTP upstream's endpoint; undefined for a stdio upstream. */
  readonly url: URL | undefined;
  /** A stdio upstream's program and process limits; undefined for an HTTP upstream. */
  readonly stdio?: StdioUpstreamConfig;
  readonly timeoutMs: number;
  readonly connections: number;
  /** Static headers sent to the upstream on every request (after `${env:…}` resolution). */
  readonly headers: Readonly<Record<string, string>>;
  /** The gateway's own OAuth client for this upstream; the object is kept for its identity. */
  readonly oauth: OAuthConfig | undefined;
  /** The upstream's document members, including the guard's (`mode`, `providers`, ...). */
  readonly document: UpstreamConfigDocument;
}

/**
 * A validated gateway configuration, resolved: `${env:…}` references replaced, defaults
 * applied, durations converted, relative paths anchored at `baseDir`. Built by
 * `validateGatewayConfig` / `loadGatewayConfig`.
 */
export interface GatewayConfig {
  /** The document after `${env:…}` resolution (the guard reads `trust`, `pins` from it). */
  readonly document: GatewayConfigDocument;
  /** Directory relative paths in the document are resolved against (the file's directory). */
  readonly baseDir: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly publicUrl: URL;
  /** Origins a browser may call from: `publicUrl`'s origin plus `allowedOrigins`. */
  readonly allowedOrigins: readonly string[];
  readonly maxRequestBytes: number;
  readonly sessions: {
    readonly store: 'memory' | 'redis';
    readonly redis: { readonly url: string; readonly prefix: string } | undefined;
    readonly ttlSec: number;
    /** Bindings one principal holds at most (`sessions.maxPerPrincipal`). */
    readonly maxPerPrincipal: number;
  };
  readonly upstreams: ReadonlyMap<string, UpstreamConfig>;
}
