import { inspect, type InspectOptions } from 'node:util';
import { maskSecret, redactLogFields } from '@etdi/core';
import type { AuthMethod } from './status.js';

/**
 * A client certificate as presented: DER bytes from the TLS socket, or a PEM string forwarded
 * by a TLS-terminating proxy. The mTLS provider parses and checks it; extraction only carries it.
 */
export interface ClientCertificate {
  /** `tls`: read from this connection's TLS socket. `proxy-header`: forwarded by a proxy. */
  readonly source: 'tls' | 'proxy-header';
  /** The leaf certificate: DER (`tls`) or PEM (`proxy-header`). */
  readonly raw: Buffer | string;
  /** Intermediate certificates the client (or proxy) presented, leaf's issuer first. */
  readonly chain: readonly (Buffer | string)[];
  /** For `proxy-header`: the header it came from. */
  readonly header?: string;
  /** For `tls`: whether Node's own TLS verification accepted the peer. */
  readonly tlsAuthorized?: boolean;
}

/** A credential that was presented but could not be read; the chain rejects the request. */
export interface CredentialIssue {
  readonly code:
    | 'malformed-credentials'
    | 'unsupported-scheme'
    | 'credential-too-large'
    | 'ambiguous-credentials';
  /** Lower-case header name the problem is in. */
  readonly header: string;
  /** The kind of credential the header was meant to carry. */
  readonly method: AuthMethod;
  readonly message: string;
}

/**
 * Facts about the request that policies need: where it came from and what it asks for.
 * Providers read these; they are never secrets.
 */
export interface AuthContext {
  /** Peer address of the TCP connection (never a forwarded-for header). */
  readonly remoteAddress?: string;
  /** HTTP method, upper case. */
  readonly method?: string;
  /**
   * Request path without the query string, normalised: unreserved escapes decoded, `//`
   * collapsed, dot segments resolved (`/x/../%61dmin` is `/admin`).
   */
  readonly path?: string;
  /**
   * The path as the request sent it (query dropped, nothing decoded or resolved), when it differs
   * from `path`. Endpoint rules check every way a server could read it, not only `path`.
   */
  readonly rawPath?: string;
  /** The router matches paths case-insensitively, so endpoint rules do too. */
  readonly caseInsensitivePaths?: boolean;
  readonly [key: string]: unknown;
}

/** Everything {@link AuthCredentials} can carry. All members are optional. */
export interface AuthCredentialsInit {
  apiKey?: string;
  gatewayKey?: string;
  projectId?: string;
  userId?: string;
  accessToken?: string;
  refreshToken?: string;
  idToken?: string;
  username?: string;
  password?: string;
  clientCertificate?: ClientCertificate;
  /** Request headers, lower-case names. Sensitive ones are masked whenever shown. */
  headers?: Readonly<Record<string, string>>;
  context?: AuthContext;
  issues?: readonly CredentialIssue[];
  /**
   * Header names to mask when shown (the configured credential headers), beyond those whose name
   * says they hold a secret (`authorization`, `x-api-key`, cookies: `@etdi/core`'s redaction rule).
   */
  sensitiveHeaders?: readonly string[];
  /**
   * Header names (lower case) the request carried on more than one line. Node joins such a
   * header with ", " (or keeps only the first, for `Authorization`), so its value in `headers`
   * cannot be trusted to be what one sender meant.
   */
  repeatedHeaders?: readonly string[];
}

const SECRET_FIELDS = [
  'apiKey',
  'gatewayKey',
  'accessToken',
  'refreshToken',
  'idToken',
  'password',
] as const;

/**
 * The credentials of one request. Secrets live in private fields behind getters, so they are
 * not own enumerable properties: spreading, `Object.entries`, `JSON.stringify`, `util.inspect`
 * and template strings all see masked values (`****2345`), never the secret itself.
 *
 * @example
 * const creds = new AuthCredentials({ apiKey: 'my-secret-key-12345' });
 * String(creds); // 'AuthCredentials { apiKey: "****2345" }'
 */
export class AuthCredentials {
  readonly #apiKey: string | undefined;
  readonly #gatewayKey: string | undefined;
  readonly #accessToken: string | undefined;
  readonly #refreshToken: string | undefined;
  readonly #idToken: string | undefined;
  readonly #password: string | undefined;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #extraSensitive: readonly string[];

  readonly projectId: string | undefined;
  readonly userId: string | undefined;
  readonly username: string | undefined;
  readonly clientCertificate: ClientCertificate | undefined;
  readonly context: AuthContext;
  readonly issues: readonly CredentialIssue[];
  /** Header names (lower case) the request carried more than once; see {@link headerRepeated}. */
  readonly repeatedHeaders: readonly string[];

  constructor(init: AuthCredentialsInit = {}) {
    this.#apiKey = init.apiKey;
    this.#gatewayKey = init.gatewayKey;
    this.#accessToken = init.accessToken;
    this.#refreshToken = init.refreshToken;
    this.#idToken = init.idToken;
    this.#password = init.password;
    this.#headers = Object.freeze({ ...init.headers });
    this.#extraSensitive = init.sensitiveHeaders ?? [];
    this.projectId = init.projectId;
    this.userId = init.userId;
    this.username = init.username;
    this.clientCertificate = init.clientCertificate;
    this.context = Object.freeze({ ...init.context });
    this.issues = Object.freeze([...(init.issues ?? [])]);
    this.repeatedHeaders = Object.freeze([...(init.repeatedHeaders ?? [])]);
  }

  get apiKey(): string | undefined {
    return this.#apiKey;
  }
  get gatewayKey(): string | undefined {
    return this.#gatewayKey;
  }
  get accessToken(): string | undefined {
    return this.#accessToken;
  }
  get refreshToken(): string | undefined {
    return this.#refreshToken;
  }
  get idToken(): string | undefined {
    return this.#idToken;
  }
  get password(): string | undefined {
    return this.#password;
  }
  /** Request headers with their real values (lower-case names). Show {@link toJSON} instead. */
  get headers(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  /** One header by name, case-insensitively. */
  header(name: string): string | undefined {
    return this.#headers[name.toLowerCase()];
  }

  /**
   * Whether the request carried this header on more than one line. A provider that reads a
   * header of its own (a proxy's user header) refuses it then: one of the lines may be the
   * client's, the other the proxy's, and the joined value is neither.
   */
  headerRepeated(name: string): boolean {
    return this.repeatedHeaders.includes(name.toLowerCase());
  }

  /** A copy with some members replaced; secrets are carried over unless replaced. */
  with(changes: AuthCredentialsInit): AuthCredentials {
    return new AuthCredentials(Object.assign(this.#init(), changes));
  }

  #init(): AuthCredentialsInit {
    return {
      apiKey: this.#apiKey,
      gatewayKey: this.#gatewayKey,
      projectId: this.projectId,
      userId: this.userId,
      accessToken: this.#accessToken,
      refreshToken: this.#refreshToken,
      idToken: this.#idToken,
      username: this.username,
      password: this.#password,
      clientCertificate: this.clientCertificate,
      headers: this.#headers,
      context: this.context,
      issues: this.issues,
      sensitiveHeaders: this.#extraSensitive,
      repeatedHeaders: this.repeatedHeaders,
    };
  }

  /** The masked, log-safe form. Members that are absent are left out. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of SECRET_FIELDS) {
      const value = this[field];
      if (value !== undefined) out[field] = maskSecret(value, 4) || '****';
    }
    if (this.projectId !== undefined) out.projectId = this.projectId;
    if (this.userId !== undefined) out.userId = this.userId;
    if (this.username !== undefined) out.username = this.username;
    if (this.clientCertificate) {
      out.clientCertificate = { source: this.clientCertificate.source };
    }
    // The same rule as every log line (a secret-looking name), plus the configured credential
    // headers, whatever their name.
    const headers = redactLogFields(this.#headers) as Record<string, string>;
    for (const name of this.#extraSensitive) {
      const value = this.#headers[name.toLowerCase()];
      if (value !== undefined) headers[name.toLowerCase()] = maskSecret(value, 4) || '****';
    }
    if (Object.keys(headers).length > 0) out.headers = headers;
    if (Object.keys(this.context).length > 0) out.context = this.context;
    if (this.issues.length > 0) out.issues = this.issues;
    if (this.repeatedHeaders.length > 0) out.repeatedHeaders = this.repeatedHeaders;
    return out;
  }

  toString(): string {
    const parts = Object.entries(this.toJSON())
      .filter(([, v]) => typeof v === 'string')
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    return `AuthCredentials { ${parts.join(', ')} }`;
  }

  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `AuthCredentials ${inspect(this.toJSON(), { ...options, depth: 4 })}`;
  }
}
