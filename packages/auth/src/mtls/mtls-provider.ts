import { X509Certificate } from 'node:crypto';
import { pemCertificates } from '@etdi/core';
import {
  BaseAuthProvider,
  validateWithSchema,
  type BaseProviderOptions,
} from '../base-provider.js';
import { PROVIDER_VALIDATORS, requiredKeysOf } from '../config/provider-schemas.js';
import type { AuthCredentials } from '../credentials.js';
import { AuthError } from '../errors.js';
import type { ConfigValidation } from '../provider.js';
import type { AuthResult } from '../result.js';
import type { AuthMethod } from '../status.js';
import { ExpiringCache } from '../util/expiring-cache.js';
import { IpMatcher } from '../util/ip-matcher.js';
import { mayIssue } from './ca-constraints.js';
import { certificateIdentity, type CertificateIdentitySource } from './certificate-identity.js';

/** Who a certificate identity is, when it needs more than its name. */
export interface CertificateUser {
  readonly userId?: string;
  readonly projectId?: string;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
}

/** Options of {@link MtlsProvider}. */
export interface MtlsProviderOptions extends BaseProviderOptions {
  /** PEM text of the CA certificate(s) client certificates must chain to. */
  caCertificates: string | readonly string[];
  /** PEM intermediates the server knows, besides those the client presents. */
  intermediates?: string | readonly string[];
  /** When set, only certificates with one of these SHA-256 fingerprints (hex, colons optional). */
  pinnedFingerprints?: readonly string[];
  /** Where the user name comes from. Default `cn` (subject common name). */
  identity?: CertificateIdentitySource;
  /** Users by certificate identity (the name from `identity`). */
  users?: Readonly<Record<string, CertificateUser>>;
  /** Refuse identities not listed in `users`. Default false. */
  requireMapping?: boolean;
  /** Scopes of identities without an entry in `users`. */
  defaultScopes?: readonly string[];
  /** Refuse certificates whose extended key usage excludes TLS client auth. Default true. */
  requireClientAuthUsage?: boolean;
  /**
   * Addresses (CIDR) of TLS-terminating proxies whose forwarded certificate header is believed.
   * A forwarded certificate from anywhere else is refused: anyone can send a header.
   */
  trustedProxies?: readonly string[];
  /** Longest path from leaf to root. Default 5. */
  maxChainLength?: number;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';

function fingerprintHex(cert: X509Certificate): string {
  return cert.fingerprint256.replaceAll(':', '').toLowerCase();
}

function window(cert: X509Certificate): { from: number; to: number } {
  return { from: Date.parse(cert.validFrom), to: Date.parse(cert.validTo) };
}

/**
 * Mutual TLS: the client certificate from this connection's TLS socket, or from a trusted
 * TLS-terminating proxy's header (URL-encoded PEM or Envoy XFCC). Checks the validity window,
 * the chain up to a configured CA (signature by signature, each issuer a CA certificate valid
 * now, allowed to sign certificates by its keyUsage, within its pathLenConstraint), the extended
 * key usage, optional SHA-256 pinning, and maps the subject CN or a SAN to the user.
 *
 * The chain is checked here even when Node's TLS layer already did (`requestCert` with `ca`):
 * a server may run with `rejectUnauthorized: false`, and a forwarded certificate never went
 * through TLS here at all.
 *
 * @example
 * const mtls = new MtlsProvider({ caCertificates: readFileSync('clients-ca.pem', 'utf8') });
 */
export class MtlsProvider extends BaseAuthProvider {
  readonly version = '1.0.0';
  protected readonly method: AuthMethod = 'mtls';
  readonly #roots: readonly X509Certificate[];
  readonly #intermediates: readonly X509Certificate[];
  readonly #pins: ReadonlySet<string> | undefined;
  readonly #identity: CertificateIdentitySource;
  readonly #users: Readonly<Record<string, CertificateUser>>;
  readonly #requireMapping: boolean;
  readonly #defaultScopes: readonly string[];
  readonly #requireClientAuthUsage: boolean;
  readonly #trustedProxies: IpMatcher;
  readonly #maxChainLength: number;
  // Chains already verified, by leaf + presented chain; an entry lives until a link expires.
  readonly #verified = new ExpiringCache<true>(10_000);

  constructor(options: MtlsProviderOptions) {
    super('mtls', options);
    const parse = (pems: string[], key: string) =>
      pems.map((pem, index) => {
        let cert: X509Certificate;
        try {
          cert = new X509Certificate(pem);
        } catch (cause) {
          throw new AuthError(
            'invalid-config',
            `mTLS provider: /${key}/${index} is not a certificate`,
            {
              pointer: `/${key}/${index}`,
              cause,
            },
          );
        }
        if (!cert.ca) {
          throw new AuthError(
            'invalid-config',
            `mTLS provider: /${key}/${index} (${cert.subject.replaceAll('\n', ', ')}) is not a CA certificate`,
            { pointer: `/${key}/${index}` },
          );
        }
        return cert;
      });
    this.#roots = parse(pemCertificates(options.caCertificates), 'caCertificates');
    if (this.#roots.length === 0) {
      throw new AuthError(
        'invalid-config',
        'mTLS provider: "caCertificates" holds no PEM certificate',
        {
          pointer: '/caCertificates',
        },
      );
    }
    this.#intermediates = parse(pemCertificates(options.intermediates), 'intermediates');
    if (options.pinnedFingerprints) {
      this.#pins = new Set(
        options.pinnedFingerprints.map((fp, index) => {
          const hex = fp.replaceAll(':', '').toLowerCase();
          if (!/^[0-9a-f]{64}$/.test(hex)) {
            throw new AuthError(
              'invalid-config',
              `mTLS provider: /pinnedFingerprints/${index} is not a SHA-256 fingerprint`,
              { pointer: `/pinnedFingerprints/${index}` },
            );
          }
          return hex;
        }),
      );
    }
    this.#identity = options.identity ?? 'cn';
    this.#users = options.users ?? {};
    this.#requireMapping = options.requireMapping ?? false;
    this.#defaultScopes = options.defaultScopes ?? [];
    this.#requireClientAuthUsage = options.requireClientAuthUsage ?? true;
    this.#trustedProxies = new IpMatcher(options.trustedProxies ?? [], '/trustedProxies');
    this.#maxChainLength = options.maxChainLength ?? 5;
  }

  supportedMethods(): readonly AuthMethod[] {
    return ['mtls'];
  }

  /** Checks a `mtls` configuration document (the JSON/YAML form). */
  validateConfig(config: unknown): ConfigValidation {
    return validateWithSchema(PROVIDER_VALIDATORS.mtls, config);
  }

  requiredConfigKeys(): readonly string[] {
    return requiredKeysOf('mtls');
  }

  /** The end of the verified path's validity, or `undefined` when no path to a root exists. */
  #chainTo(
    leaf: X509Certificate,
    presented: readonly X509Certificate[],
    now: number,
  ): number | undefined {
    const candidates = [...presented.filter((c) => c.ca), ...this.#intermediates];
    let current = leaf;
    let until = window(leaf).to;
    // `depth` is also the number of intermediate CA certificates between the issuer sought and
    // the leaf, which that issuer's pathLenConstraint must allow.
    for (let depth = 0; depth < this.#maxChainLength; depth++) {
      const signedBy = (issuer: X509Certificate) => {
        const { from, to } = window(issuer);
        return (
          from <= now &&
          now <= to &&
          mayIssue(issuer, depth) &&
          current.checkIssued(issuer) &&
          current.verify(issuer.publicKey)
        );
      };
      const root = this.#roots.find(signedBy);
      if (root) return Math.min(until, window(root).to);
      const next = candidates.find(signedBy);
      if (!next || next === current) return undefined;
      until = Math.min(until, window(next).to);
      current = next;
    }
    return undefined;
  }

  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    const presented = credentials.clientCertificate;
    if (!presented) return this.noCredentials('No client certificate presented');
    const remote = credentials.context.remoteAddress;
    if (presented.source === 'proxy-header' && !this.#trustedProxies.matches(remote)) {
      this.logger.warn(
        {
          provider: this.name,
          remoteAddress: remote,
          header: presented.header,
        },
        'forwarded client certificate from an untrusted address refused',
      );
      return this.failure(
        'invalid-credentials',
        'untrusted-proxy',
        `A forwarded client certificate is only accepted from a trusted proxy; ${remote ?? 'the peer'} is not one`,
      );
    }
    let leaf: X509Certificate;
    let chain: X509Certificate[];
    try {
      leaf = new X509Certificate(presented.raw);
      chain = presented.chain.map((c) => new X509Certificate(c));
    } catch {
      return this.failure(
        'invalid-credentials',
        'certificate-invalid',
        'Client certificate cannot be parsed',
      );
    }
    const now = this.now();
    const { from, to } = window(leaf);
    if (!(now >= from)) {
      return this.failure(
        'invalid-credentials',
        'certificate-not-yet-valid',
        `Client certificate is valid from ${leaf.validFrom}`,
      );
    }
    if (!(now <= to)) {
      return this.failure(
        'expired',
        'certificate-expired',
        `Client certificate expired ${leaf.validTo}`,
      );
    }
    const fingerprint = fingerprintHex(leaf);
    const cacheKey = [fingerprint, ...chain.map(fingerprintHex)].join('.');
    if (!this.#verified.get(cacheKey, now)) {
      const until = this.#chainTo(leaf, chain, now);
      if (until === undefined) {
        return this.failure(
          'invalid-credentials',
          'certificate-untrusted',
          'Client certificate does not chain to a trusted CA',
        );
      }
      this.#verified.set(cacheKey, true, until, now);
    }
    if (this.#pins && !this.#pins.has(fingerprint)) {
      return this.failure(
        'invalid-credentials',
        'certificate-not-pinned',
        'Client certificate fingerprint is not pinned',
      );
    }
    const usage = leaf.keyUsage;
    if (
      leaf.ca ||
      (this.#requireClientAuthUsage &&
        Array.isArray(usage) &&
        !usage.includes(CLIENT_AUTH) &&
        !usage.includes(ANY_USAGE))
    ) {
      return this.failure(
        'invalid-credentials',
        'certificate-usage',
        'Certificate is not meant for TLS client authentication',
      );
    }
    const identity = certificateIdentity(leaf, this.#identity);
    if (identity === undefined) {
      return this.failure(
        'invalid-credentials',
        'unmapped-identity',
        `Client certificate has no ${this.#identity === 'cn' ? 'single subject CN' : this.#identity.replace('san-', 'SAN ')}`,
      );
    }
    const user = Object.hasOwn(this.#users, identity) ? this.#users[identity] : undefined;
    if (!user && this.#requireMapping) {
      return this.failure(
        'invalid-credentials',
        'unmapped-identity',
        `Certificate identity "${identity}" is not a known user`,
      );
    }
    return this.success({
      userId: user?.userId ?? identity,
      ...(user?.projectId === undefined ? {} : { projectId: user.projectId }),
      permissions: user?.scopes ?? this.#defaultScopes,
      roles: user?.roles ?? [],
      metadata: {
        identity,
        subject: leaf.subject.replaceAll('\n', ', '),
        issuer: leaf.issuer.replaceAll('\n', ', '),
        serialNumber: leaf.serialNumber,
        fingerprint256: fingerprint,
        certificateSource: presented.source,
      },
      expiresAt: to,
    });
  }
}
