import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A certificate and its private key, both PEM. */
export interface PemPair {
  /** PKCS#8 private key. */
  readonly key: string;
  readonly cert: string;
}

/** What {@link createDevCertificates} makes. */
export interface DevCertificates {
  readonly ca: PemPair;
  /** serverAuth; SANs localhost, 127.0.0.1 and ::1 (plus any extra DNS names asked for). */
  readonly server: PemPair;
  /** clientAuth, for mTLS clients of the gateway. */
  readonly client: PemPair;
}

/** Options of {@link createDevCertificates}. */
export interface DevCertificateOptions {
  /** Lifetime of every certificate, in days. Default 365. */
  readonly days?: number;
  /** Common name of the client certificate (what an mTLS provider sees). Default `etdi-dev-client`. */
  readonly clientName?: string;
  /** DNS names the server certificate covers besides `localhost`. */
  readonly dnsNames?: readonly string[];
  /** The time the certificates start (epoch ms). Default now, less a minute for clock skew. */
  readonly now?: number;
}

// Keys come from node:crypto: forge's pure-JavaScript RSA key generation takes seconds per key.
function rsaKey(): {
  pem: string;
  forgeKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { pem, forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function certificate(
  subject: string,
  publicKey: forge.pki.PublicKey,
  issuer: forge.pki.Certificate | undefined,
  extensions: object[],
  start: number,
  days: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive 128-bit serial (RFC 5280 §4.1.2.2: positive, at most 20 octets).
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(start);
  cert.validity.notAfter = new Date(start + days * 86_400_000);
  const name = [
    { name: 'commonName', value: subject },
    { name: 'organizationName', value: 'ETDI development (do not trust in production)' },
  ];
  cert.setSubject(name);
  cert.setIssuer(issuer ? issuer.subject.attributes : name);
  cert.setExtensions(extensions);
  return cert;
}

/**
 * A development PKI for trying the gateway's TLS and mTLS end to end: a CA, a server certificate
 * for localhost, 127.0.0.1 and ::1, and a client certificate, all RSA 2048 / SHA-256, made with
 * node-forge. Never for production: the CA key sits next to the certificates.
 *
 * @example
 * const { ca, server, client } = createDevCertificates({ days: 30 });
 */
export function createDevCertificates(options: DevCertificateOptions = {}): DevCertificates {
  const days = options.days ?? 365;
  const start = (options.now ?? Date.now()) - 60_000;
  const caKey = rsaKey();
  const caCert = certificate(
    'ETDI Development CA',
    caKey.publicKey,
    undefined,
    [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
    start,
    days,
  );
  caCert.sign(caKey.forgeKey, forge.md.sha256.create());
  const authorityKeyIdentifier = caCert.generateSubjectKeyIdentifier().getBytes();

  const leaf = (subject: string, usage: 'server' | 'client', altNames: object[]): PemPair => {
    const key = rsaKey();
    const extensions: object[] = [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: usage === 'server', clientAuth: usage === 'client' },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyIdentifier },
      ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    ];
    const cert = certificate(subject, key.publicKey, caCert, extensions, start, days);
    cert.sign(caKey.forgeKey, forge.md.sha256.create());
    return { key: key.pem, cert: forge.pki.certificateToPem(cert) };
  };

  const dns = ['localhost', ...(options.dnsNames ?? [])];
  return {
    ca: { key: caKey.pem, cert: forge.pki.certificateToPem(caCert) },
    server: leaf('localhost', 'server', [
      ...dns.map((value) => ({ type: 2, value })),
      { type: 7, ip: '127.0.0.1' },
      { type: 7, ip: '::1' },
    ]),
    client: leaf(options.clientName ?? 'etdi-dev-client', 'client', []),
  };
}
