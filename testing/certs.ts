/**
 * X.509 certificates for tests that need real TLS (mTLS providers, HTTPS OAuth servers).
 * node-forge builds and signs the certificates; node:crypto makes the RSA keys, because forge's
 * pure-JavaScript key generation takes seconds per key.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface Pem {
  /** PEM private key (PKCS#8). */
  readonly key: string;
  /** PEM certificate. */
  readonly cert: string;
}

export interface TestCa extends Pem {
  readonly subject: string;
}

export interface IssueOptions {
  /** Subject common name. */
  readonly commonName: string;
  /** DNS names for subjectAltName. Server certificates default to `localhost`. */
  readonly dnsNames?: readonly string[];
  /** IP addresses for subjectAltName. Server certificates default to 127.0.0.1 and ::1. */
  readonly ipAddresses?: readonly string[];
  /** `server` (serverAuth EKU) or `client` (clientAuth EKU). */
  readonly usage: 'server' | 'client';
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Organisation (O) of the subject. */
  readonly organization?: string;
}

function newKeyPair(): {
  forgeKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  pem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { forgeKey, publicKey, pem };
}

function serial(): string {
  // Positive, non-zero 16-byte serial number.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** A self-signed CA for one test run. */
export function createTestCa(commonName = 'ETDI Test CA', days = 2): TestCa {
  const { forgeKey, publicKey, pem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  const attrs = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return { key: pem, cert: forge.pki.certificateToPem(cert), subject: commonName };
}

/** A leaf certificate signed by `ca`. */
export function issueCertificate(ca: TestCa, options: IssueOptions): Pem {
  const { forgeKey: _unused, publicKey, pem } = newKeyPair();
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 86_400_000);
  const subject: forge.pki.CertificateField[] = [{ name: 'commonName', value: options.commonName }];
  if (options.organization) subject.push({ name: 'organizationName', value: options.organization });
  cert.setSubject(subject);
  cert.setIssuer(caCert.subject.attributes);
  const server = options.usage === 'server';
  const dns = options.dnsNames ?? (server ? ['localhost'] : []);
  const ips = options.ipAddresses ?? (server ? ['127.0.0.1', '::1'] : []);
  const altNames = [
    ...dns.map((value) => ({ type: 2, value })),
    ...ips.map((ip) => ({ type: 7, ip })),
  ];
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: server, clientAuth: !server },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  cert.sign(caKey, forge.md.sha256.create());
  return { key: pem, cert: forge.pki.certificateToPem(cert) };
}
