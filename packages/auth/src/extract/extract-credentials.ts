import { pemCertificates } from '@etdi/core';
import {
  AuthCredentials,
  type AuthCredentialsInit,
  type ClientCertificate,
  type CredentialIssue,
} from '../credentials.js';
import type { AuthMethod } from '../status.js';
import { normalizePath, stripTarget } from '../util/path.js';
import { parseXfcc } from './xfcc.js';

/** Every value of every header, unjoined, as Node's `headersDistinct` has them. */
type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * The least a request must offer: a Node `IncomingMessage` and a Fastify request both fit.
 * The peer address is read from the socket, never from a forwarded-for header.
 */
export interface AuthRequest {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * Node: each header's values as received. `headers` joins a repeated header with ", " and
   * keeps only the first `Authorization`; this is how a repeated credential header is spotted.
   */
  readonly headersDistinct?: DistinctHeaders;
  /** Node: names and values as received, alternating; read when `headersDistinct` is absent. */
  readonly rawHeaders?: readonly string[];
  /** Fastify: the Node request underneath, for its `headersDistinct` and `rawHeaders`. */
  readonly raw?: {
    readonly headersDistinct?: DistinctHeaders;
    readonly rawHeaders?: readonly string[];
  } | null;
  readonly socket?: {
    readonly remoteAddress?: string | undefined;
    /** Present on TLS sockets (`tls.TLSSocket`). */
    getPeerCertificate?(detailed: boolean): unknown;
    readonly authorized?: boolean;
  } | null;
  readonly url?: string | undefined;
  readonly method?: string | undefined;
}

/** Credential fields that can be read from a header of your choosing. */
export type HeaderCredentialField =
  'apiKey' | 'gatewayKey' | 'projectId' | 'userId' | 'accessToken' | 'refreshToken' | 'idToken';

/** Options of {@link extractCredentials}. */
export interface ExtractOptions {
  /**
   * Headers to read credential fields from, by field. Default `{ apiKey: 'x-api-key' }`;
   * entries given here are added to (or replace) that default.
   */
  headers?: Partial<Record<HeaderCredentialField, string>>;
  /**
   * A header a TLS-terminating proxy puts the client certificate in: `pem` for a URL-encoded
   * PEM (nginx `$ssl_client_escaped_cert`, AWS ALB), `xfcc` for Envoy's
   * `X-Forwarded-Client-Cert`. Read here, trusted only by an mTLS provider configured with
   * the proxy's addresses.
   */
  clientCertificateHeader?: { name: string; format: 'pem' | 'xfcc' };
  /** Longest credential header accepted, in characters. Default 8192. */
  maxCredentialLength?: number;
  /** Read the TLS peer certificate from the socket. Default true. */
  tlsClientCertificate?: boolean;
  /**
   * The router matches paths case-insensitively (Fastify `caseSensitive: false`), so endpoint
   * rules must too: `/ADMIN` then falls under `/admin/**`. Default false, as Fastify's default.
   */
  caseInsensitivePaths?: boolean;
}

const DEFAULT_HEADERS: Partial<Record<HeaderCredentialField, string>> = { apiKey: 'x-api-key' };
// RFC 6750 §2.1 b64token (token68).
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?: +(.*))?$/s;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
// Header values that reach us are latin1 strings; control characters are never legitimate.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;
// What TLS-terminating proxies put in the certificate header when the client sent none.
const NO_CERTIFICATE: ReadonlySet<string> = new Set(['', '(null)']);
const SECRET_FIELDS: ReadonlySet<HeaderCredentialField> = new Set([
  'apiKey',
  'gatewayKey',
  'accessToken',
  'refreshToken',
  'idToken',
]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Draft = AuthCredentialsInit & {
  issues: CredentialIssue[];
  methods: Map<string, AuthMethod>;
  repeated: ReadonlySet<string>;
};

function issue(draft: Draft, header: string, code: CredentialIssue['code'], message: string) {
  draft.issues.push({ header, code, message, method: draft.methods.get(header) ?? 'custom' });
}

const FIELD_METHOD: Record<HeaderCredentialField, AuthMethod> = {
  apiKey: 'api-key',
  gatewayKey: 'api-key',
  projectId: 'custom',
  userId: 'custom',
  accessToken: 'bearer-token',
  refreshToken: 'oauth',
  idToken: 'jwt',
};

// The header of each credential field these options read, the default `X-API-Key` included.
function fieldHeaders(options: ExtractOptions): Partial<Record<HeaderCredentialField, string>> {
  return options.headers ? Object.assign({}, DEFAULT_HEADERS, options.headers) : DEFAULT_HEADERS;
}

/**
 * Lower-case names of every header {@link extractCredentials} reads a credential from with these
 * options: `authorization`, each configured credential field's header (`x-api-key` by default)
 * and the client certificate header.
 */
export function extractionHeaders(options: ExtractOptions = {}): string[] {
  const names = ['authorization', ...Object.values(fieldHeaders(options))];
  if (options.clientCertificateHeader) names.push(options.clientCertificateHeader.name);
  return [...new Set(names.map((name) => name.toLowerCase()))];
}

/**
 * Names of the headers the request carried on more than one line, from Node's unjoined views
 * (`headersDistinct`, else `rawHeaders`, on the request or on Fastify's `request.raw`), and from
 * array values in `headers` (which Node never produces, but other callers may).
 */
function repeatedHeaders(request: AuthRequest): Set<string> {
  const repeated = new Set<string>();
  const distinct = request.headersDistinct ?? request.raw?.headersDistinct;
  const rawHeaders = request.rawHeaders ?? request.raw?.rawHeaders;
  if (distinct && typeof distinct === 'object') {
    for (const [name, values] of Object.entries(distinct)) {
      if (Array.isArray(values) && values.length > 1) repeated.add(name.toLowerCase());
    }
  } else if (Array.isArray(rawHeaders)) {
    const seen = new Set<string>();
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = String(rawHeaders[i]).toLowerCase();
      if (seen.has(name)) repeated.add(name);
      seen.add(name);
    }
  }
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value) && value.length > 1) repeated.add(name.toLowerCase());
  }
  return repeated;
}

/** One header value; a header given more than once is ambiguous and read as absent. */
function single(request: AuthRequest, name: string, draft: Draft, max: number): string | undefined {
  if (draft.repeated.has(name)) {
    issue(draft, name, 'ambiguous-credentials', `Header "${name}" is given more than once`);
    return undefined;
  }
  const raw = request.headers[name];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' ? raw : raw[0];
  if (typeof value !== 'string') return undefined;
  if (value.length > max) {
    issue(
      draft,
      name,
      'credential-too-large',
      `Header "${name}" is ${value.length} characters long; at most ${max} are accepted`,
    );
    return undefined;
  }
  return value;
}

function readAuthorization(value: string, draft: Draft): void {
  const match = SCHEME.exec(value.trim());
  if (!match) {
    issue(draft, 'authorization', 'malformed-credentials', 'Authorization header has no scheme');
    return;
  }
  const scheme = match[1]!.toLowerCase();
  const rest = (match[2] ?? '').trim();
  draft.methods.set(
    'authorization',
    scheme === 'bearer' ? 'bearer-token' : scheme === 'basic' ? 'basic-auth' : 'custom',
  );
  if (scheme === 'bearer') {
    if (rest.length === 0) {
      issue(draft, 'authorization', 'malformed-credentials', 'Bearer token is empty');
    } else if (!TOKEN68.test(rest)) {
      issue(
        draft,
        'authorization',
        'malformed-credentials',
        'Bearer token contains characters outside the RFC 6750 token syntax',
      );
    } else {
      draft.accessToken = rest;
    }
    return;
  }
  if (scheme === 'basic') {
    readBasic(rest, draft);
    return;
  }
  issue(
    draft,
    'authorization',
    'unsupported-scheme',
    `Authorization scheme "${match[1]}" is not supported; use Bearer or Basic`,
  );
}

function readBasic(encoded: string, draft: Draft): void {
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    issue(draft, 'authorization', 'malformed-credentials', 'Basic credentials are not base64');
    return;
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    issue(draft, 'authorization', 'malformed-credentials', 'Basic credentials are not UTF-8');
    return;
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    issue(
      draft,
      'authorization',
      'malformed-credentials',
      'Basic credentials must be "user-id:password" with a non-empty user-id',
    );
    return;
  }
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (CONTROL.test(username) || CONTROL.test(password)) {
    issue(
      draft,
      'authorization',
      'malformed-credentials',
      'Basic credentials contain control characters',
    );
    return;
  }
  draft.username = username;
  draft.password = password;
}

function readPeerCertificate(request: AuthRequest): ClientCertificate | undefined {
  const socket = request.socket;
  if (!socket || typeof socket.getPeerCertificate !== 'function') return undefined;
  const peer = socket.getPeerCertificate(true) as
    { raw?: unknown; issuerCertificate?: unknown } | null | undefined;
  // Without a client certificate Node returns an empty object (or null once the socket closed).
  if (!peer || !Buffer.isBuffer(peer.raw)) return undefined;
  const chain: Buffer[] = [];
  const seen = new Set<unknown>([peer]);
  let next = peer.issuerCertificate as { raw?: unknown; issuerCertificate?: unknown } | undefined;
  // The detailed chain ends in a self-reference at a self-signed root.
  while (next && !seen.has(next) && Buffer.isBuffer(next.raw) && chain.length < 10) {
    seen.add(next);
    chain.push(next.raw);
    next = next.issuerCertificate as typeof next;
  }
  const certificate: { -readonly [K in keyof ClientCertificate]: ClientCertificate[K] } = {
    source: 'tls',
    raw: peer.raw,
    chain,
  };
  if (socket.authorized !== undefined) certificate.tlsAuthorized = socket.authorized;
  return certificate;
}

function decodeUrlComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function readForwardedCertificate(
  value: string,
  header: string,
  format: 'pem' | 'xfcc',
  draft: Draft,
): void {
  if (format === 'pem') {
    const decoded = decodeUrlComponent(value);
    const blocks = decoded === undefined ? [] : pemCertificates(decoded);
    if (blocks.length > 1) {
      // Two certificates are how a client's own header and the proxy's look once joined; the
      // proxy forwards the leaf only (intermediates belong in the mTLS provider's options).
      issue(
        draft,
        header,
        'ambiguous-credentials',
        `Header "${header}" holds ${blocks.length} certificates; exactly one is accepted`,
      );
      return;
    }
    if (blocks.length === 0 || decoded!.trim() !== blocks[0]) {
      issue(
        draft,
        header,
        'malformed-credentials',
        `Header "${header}" must hold exactly one URL-encoded PEM certificate`,
      );
      return;
    }
    draft.clientCertificate = { source: 'proxy-header', raw: blocks[0], chain: [], header };
    return;
  }
  const elements = parseXfcc(value);
  if (!elements) {
    issue(draft, header, 'malformed-credentials', `Header "${header}" is not a valid XFCC value`);
    return;
  }
  // With several hops, the element our direct peer (the trusted proxy) appended is the last.
  const element = elements[elements.length - 1]!;
  const cert = element.get('cert');
  const decoded = cert === undefined ? undefined : decodeUrlComponent(cert);
  const leaf = decoded === undefined ? [] : pemCertificates(decoded);
  if (leaf.length === 0) {
    issue(
      draft,
      header,
      'malformed-credentials',
      `Header "${header}" has no Cert in its last element (configure the proxy to forward it)`,
    );
    return;
  }
  const chainText = element.get('chain');
  const chainDecoded = chainText === undefined ? '' : (decodeUrlComponent(chainText) ?? '');
  // Envoy's Chain holds the leaf first; the intermediates follow it.
  const chain = pemCertificates(chainDecoded).filter((pem) => pem !== leaf[0]);
  draft.clientCertificate = { source: 'proxy-header', raw: leaf[0]!, chain, header };
}

/**
 * Reads every credential a request carries: `Authorization: Bearer` (access token) or `Basic`
 * (username and password), `X-API-Key` and other configured headers, the TLS peer certificate,
 * a proxy-forwarded certificate header, plus the peer address, method and path policies need.
 *
 * Never throws. A credential that is present but unreadable (bad base64, two Authorization
 * headers, an oversized token, an unknown scheme) is recorded in `issues`, and a
 * {@link ProviderChain} rejects the request with that precise reason instead of treating it
 * as anonymous.
 *
 * @example
 * server.on('request', async (req, res) => {
 *   const result = await chain.authenticate(extractCredentials(req));
 * });
 */
export function extractCredentials(
  request: AuthRequest,
  options: ExtractOptions = {},
): AuthCredentials {
  const max = options.maxCredentialLength ?? 8192;
  const draft: Draft = {
    issues: [],
    methods: new Map([['authorization', 'bearer-token']]),
    repeated: repeatedHeaders(request),
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  draft.headers = headers;

  const authorization = single(request, 'authorization', draft, max);
  if (authorization !== undefined) readAuthorization(authorization, draft);

  const fields = fieldHeaders(options);
  const configured: string[] = [];
  for (const [field, headerName] of Object.entries(fields) as [HeaderCredentialField, string][]) {
    const name = headerName.toLowerCase();
    draft.methods.set(name, FIELD_METHOD[field]);
    if (SECRET_FIELDS.has(field)) configured.push(name);
    const value = single(request, name, draft, max);
    if (value === undefined) continue;
    if (value.length === 0 || !VISIBLE_ASCII.test(value)) {
      issue(
        draft,
        name,
        value.includes(', ') ? 'ambiguous-credentials' : 'malformed-credentials',
        value.includes(', ')
          ? `Header "${name}" is given more than once`
          : `Header "${name}" must be non-empty visible ASCII`,
      );
      continue;
    }
    if (draft[field] !== undefined && draft[field] !== value) {
      issue(
        draft,
        name,
        'ambiguous-credentials',
        `Header "${name}" conflicts with the Authorization header`,
      );
      continue;
    }
    draft[field] = value;
  }
  draft.sensitiveHeaders = configured;
  if (draft.repeated.size > 0) draft.repeatedHeaders = [...draft.repeated];

  if (options.tlsClientCertificate ?? true) {
    const peer = readPeerCertificate(request);
    if (peer) draft.clientCertificate = peer;
  }
  const certHeader = options.clientCertificateHeader;
  if (certHeader && !draft.clientCertificate) {
    const name = certHeader.name.toLowerCase();
    draft.methods.set(name, 'mtls');
    // Certificates are long; allow a chain of a few of them.
    const value = single(request, name, draft, Math.max(max, 64 * 1024));
    // nginx sends "" without a client certificate, Apache "(null)": no certificate, not a bad one.
    if (value !== undefined && !NO_CERTIFICATE.has(value.trim())) {
      readForwardedCertificate(value, name, certHeader.format, draft);
    }
  }

  const remoteAddress = request.socket?.remoteAddress;
  const context: {
    remoteAddress?: string;
    method?: string;
    path?: string;
    rawPath?: string;
    caseInsensitivePaths?: boolean;
  } = {};
  if (remoteAddress) context.remoteAddress = remoteAddress;
  if (request.method) context.method = request.method.toUpperCase();
  if (request.url) {
    context.path = normalizePath(request.url);
    const raw = stripTarget(request.url);
    if (raw !== context.path) context.rawPath = raw;
  }
  if (options.caseInsensitivePaths === true) context.caseInsensitivePaths = true;
  draft.context = context;
  return new AuthCredentials(draft);
}
