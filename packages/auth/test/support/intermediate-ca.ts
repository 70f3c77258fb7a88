import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { TestCa } from '../../../../testing/certs.js';

/** Constraints of an intermediate CA, to build chains that break them. */
export interface IntermediateOptions {
  /** basicConstraints pathLenConstraint. Default: none. */
  readonly pathLen?: number;
  /** keyUsage keyCertSign. Default true. */
  readonly keyCertSign?: boolean;
}

/** An intermediate CA signed by `root`, for chain tests (testing/certs.ts issues leaves only). */
export function createIntermediateCa(
  root: TestCa,
  commonName = 'ETDI Test Intermediate',
  options: IntermediateOptions = {},
): TestCa {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  const rootKey = forge.pki.privateKeyFromPem(root.key);
  const rootCert = forge.pki.certificateFromPem(root.cert);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(rootCert.subject.attributes);
  cert.setExtensions([
    {
      name: 'basicConstraints',
      cA: true,
      critical: true,
      ...(options.pathLen === undefined ? {} : { pathLenConstraint: options.pathLen }),
    },
    options.keyCertSign === false
      ? { name: 'keyUsage', digitalSignature: true, critical: true }
      : { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: rootCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  cert.sign(rootKey, forge.md.sha256.create());
  return { key: pem, cert: forge.pki.certificateToPem(cert), subject: commonName };
}
