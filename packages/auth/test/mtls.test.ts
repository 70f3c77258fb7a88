import { X509Certificate } from 'node:crypto';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthCredentials,
  AuthError,
  MtlsProvider,
  extractCredentials,
  type AuthProvider,
  type ExtractOptions,
  type MtlsProviderOptions,
} from '@etdi/auth';
import { createTestCa, issueCertificate, type Pem } from '../../../testing/certs.js';
import { recordingLogger } from './support/recording-logger.js';
import { createIntermediateCa } from './support/intermediate-ca.js';

const DAY = 86_400_000;
const root = createTestCa('ETDI Clients CA');
const otherCa = createTestCa('Somebody Else CA');
const intermediate = createIntermediateCa(root);
const serverPem = issueCertificate(root, { commonName: 'localhost', usage: 'server' });
const alice = issueCertificate(root, {
  commonName: 'alice',
  usage: 'client',
  organization: 'Acme',
});
const bob = issueCertificate(root, { commonName: 'bob', usage: 'client' });
const svc = issueCertificate(root, {
  commonName: 'svc',
  usage: 'client',
  dnsNames: ['svc.internal'],
});
const stranger = issueCertificate(otherCa, { commonName: 'alice', usage: 'client' });
const expired = issueCertificate(root, {
  commonName: 'old',
  usage: 'client',
  notBefore: new Date(Date.now() - 3 * DAY),
  notAfter: new Date(Date.now() - DAY),
});
const future = issueCertificate(root, {
  commonName: 'later',
  usage: 'client',
  notBefore: new Date(Date.now() + DAY),
  notAfter: new Date(Date.now() + 2 * DAY),
});
const serverUsage = issueCertificate(root, { commonName: 'not-a-client', usage: 'server' });
const viaIntermediate = issueCertificate(intermediate, { commonName: 'carol', usage: 'client' });

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/** A real TLS server asking for client certificates; each request runs `provider`. */
async function tlsServer(provider: AuthProvider): Promise<{ url: string; server: Server }> {
  const server = createServer(
    {
      key: serverPem.key,
      cert: serverPem.cert,
      ca: [root.cert],
      requestCert: true,
      // Our provider decides; the TLS layer only proves possession of the private key.
      rejectUnauthorized: false,
    },
    (req, res) => {
      void provider.authenticate(extractCredentials(req)).then((result) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(result));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server };
}

function call(url: string, client?: Pem, extraChain = ''): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: root.cert,
        ...(client ? { key: client.key, cert: client.cert + extraChain } : {}),
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('MtlsProvider over real TLS', () => {
  const servers: Server[] = [];
  const start = async (options: Partial<MtlsProviderOptions> = {}) => {
    const { url, server } = await tlsServer(
      new MtlsProvider({ caCertificates: root.cert, ...options }),
    );
    servers.push(server);
    return url;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  let url: string;
  beforeAll(async () => {
    url = await start();
  });

  it('authenticates a client certificate issued by the CA, as its CN', async () => {
    expect(await call(url, alice)).toMatchObject({
      status: 'success',
      userId: 'alice',
      source: { provider: 'mtls', method: 'mtls' },
      metadata: {
        identity: 'alice',
        subject: 'CN=alice, O=Acme',
        issuer: 'CN=ETDI Clients CA',
        certificateSource: 'tls',
        fingerprint256: fingerprint(alice.cert).replaceAll(':', '').toLowerCase(),
      },
    });
  });

  it('stands aside when the client sends no certificate', async () => {
    expect(await call(url)).toMatchObject({ status: 'failure', error: 'no-credentials' });
  });

  it('refuses a certificate from another CA', async () => {
    expect(await call(url, stranger)).toMatchObject({
      status: 'invalid-credentials',
      error: 'certificate-untrusted',
    });
  });

  it('refuses an expired certificate with status expired', async () => {
    expect(await call(url, expired)).toMatchObject({
      status: 'expired',
      error: 'certificate-expired',
    });
  });

  it('refuses a certificate that is not valid yet', async () => {
    expect(await call(url, future)).toMatchObject({
      status: 'invalid-credentials',
      error: 'certificate-not-yet-valid',
    });
  });

  it('refuses a certificate not meant for client authentication', async () => {
    expect(await call(url, serverUsage)).toMatchObject({ error: 'certificate-usage' });
  });

  it('follows a chain through an intermediate the client presents', async () => {
    expect(await call(url, viaIntermediate, intermediate.cert)).toMatchObject({
      status: 'success',
      userId: 'carol',
    });
    expect(await call(url, viaIntermediate)).toMatchObject({ error: 'certificate-untrusted' });
  });

  it('follows a chain through an intermediate the server is configured with', async () => {
    const withIntermediate = await start({ intermediates: intermediate.cert });
    expect((await call(withIntermediate, viaIntermediate)).userId).toBe('carol');
  });

  it('pins SHA-256 fingerprints', async () => {
    const pinned = await start({ pinnedFingerprints: [fingerprint(alice.cert)] });
    expect((await call(pinned, alice)).status).toBe('success');
    expect(await call(pinned, bob)).toMatchObject({
      status: 'invalid-credentials',
      error: 'certificate-not-pinned',
    });
  });

  it('maps a SAN to the user, and identities to users', async () => {
    const bySan = await start({
      identity: 'san-dns',
      users: { 'svc.internal': { userId: 'service-1', scopes: ['tools:call'], roles: ['svc'] } },
      requireMapping: true,
    });
    expect(await call(bySan, svc)).toMatchObject({
      status: 'success',
      userId: 'service-1',
      permissions: ['tools:call'],
      roles: ['svc'],
    });
    expect(await call(bySan, alice)).toMatchObject({ error: 'unmapped-identity' });
  });
});

describe('MtlsProvider with a TLS-terminating proxy', () => {
  const pemHeader = (pem: string) => encodeURIComponent(pem);
  const xfcc = (pem: string, chain = '') =>
    `By=spiffe://gw;Hash=abc;Cert="${encodeURIComponent(pem)}"${chain ? `;Chain="${encodeURIComponent(pem + chain)}"` : ''};Subject="CN=x"`;

  async function app(extract: ExtractOptions, options: Partial<MtlsProviderOptions> = {}) {
    const logger = recordingLogger();
    const provider = new MtlsProvider({
      caCertificates: [root.cert],
      trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
      logger,
      ...options,
    });
    const fastify = Fastify();
    fastify.get('/mcp', async (request) =>
      provider.authenticate(extractCredentials(request, extract)),
    );
    await fastify.ready();
    return { fastify, logger };
  }

  const pem: ExtractOptions = {
    clientCertificateHeader: { name: 'x-ssl-client-cert', format: 'pem' },
  };
  const envoy: ExtractOptions = {
    clientCertificateHeader: { name: 'x-forwarded-client-cert', format: 'xfcc' },
  };

  it('believes a URL-encoded PEM header from a configured proxy address', async () => {
    const { fastify } = await app(pem);
    const res = await fastify.inject({
      url: '/mcp',
      remoteAddress: '10.1.2.3',
      headers: { 'x-ssl-client-cert': pemHeader(alice.cert) },
    });
    expect(res.json()).toMatchObject({
      status: 'success',
      userId: 'alice',
      metadata: { certificateSource: 'proxy-header' },
    });
  });

  it('refuses the same header from anywhere else, and logs it', async () => {
    const { fastify, logger } = await app(pem);
    for (const remoteAddress of ['192.0.2.1', '::ffff:192.0.2.1', '2001:db8::1']) {
      const res = await fastify.inject({
        url: '/mcp',
        remoteAddress,
        headers: { 'x-ssl-client-cert': pemHeader(alice.cert) },
      });
      expect(res.json()).toMatchObject({ status: 'invalid-credentials', error: 'untrusted-proxy' });
    }
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(3);
  });

  it('reads Envoy XFCC, with the chain it forwards', async () => {
    const { fastify } = await app(envoy);
    const res = await fastify.inject({
      url: '/mcp',
      remoteAddress: 'fd00::5',
      headers: { 'x-forwarded-client-cert': xfcc(viaIntermediate.cert, intermediate.cert) },
    });
    expect(res.json()).toMatchObject({ status: 'success', userId: 'carol' });
  });

  it('checks a forwarded certificate like any other', async () => {
    const { fastify } = await app(pem);
    const send = (cert: string) =>
      fastify.inject({
        url: '/mcp',
        remoteAddress: '10.0.0.1',
        headers: { 'x-ssl-client-cert': pemHeader(cert) },
      });
    expect((await send(stranger.cert)).json().error).toBe('certificate-untrusted');
    expect((await send(expired.cert)).json().error).toBe('certificate-expired');
    const garbage = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    expect((await send(garbage)).json().error).toBe('certificate-invalid');
  });
});

describe('MtlsProvider chain constraints', () => {
  const provider = new MtlsProvider({ caCertificates: root.cert });
  const present = (leaf: Pem, ...chain: Pem[]) =>
    provider.authenticate(
      new AuthCredentials({
        clientCertificate: { source: 'tls', raw: leaf.cert, chain: chain.map((c) => c.cert) },
      }),
    );
  const issuing = createIntermediateCa(root, 'Issuing CA (pathLen 0)', { pathLen: 0 });
  const oneBelow = createIntermediateCa(root, 'Policy CA (pathLen 1)', { pathLen: 1 });

  it('accepts a leaf right below an intermediate whose pathLenConstraint is 0', async () => {
    const leaf = issueCertificate(issuing, { commonName: 'dave', usage: 'client' });
    expect(await present(leaf, issuing)).toMatchObject({ status: 'success', userId: 'dave' });
  });

  it('refuses a sub-CA that intermediate was not allowed to create', async () => {
    const rogue = createIntermediateCa(issuing, 'Rogue sub-CA');
    const leaf = issueCertificate(rogue, { commonName: 'admin', usage: 'client' });
    expect(await present(leaf, rogue, issuing)).toMatchObject({
      status: 'invalid-credentials',
      error: 'certificate-untrusted',
    });
  });

  it('allows as many sub-CAs as pathLenConstraint says', async () => {
    const sub = createIntermediateCa(oneBelow, 'Sub CA');
    const leaf = issueCertificate(sub, { commonName: 'erin', usage: 'client' });
    expect(await present(leaf, sub, oneBelow)).toMatchObject({ status: 'success' });
    const subSub = createIntermediateCa(sub, 'Sub-sub CA');
    const deeper = issueCertificate(subSub, { commonName: 'admin', usage: 'client' });
    expect((await present(deeper, subSub, sub, oneBelow)).error).toBe('certificate-untrusted');
  });

  it('refuses an issuer whose keyUsage does not allow signing certificates', async () => {
    const signer = createIntermediateCa(root, 'Signing-only CA', { keyCertSign: false });
    const leaf = issueCertificate(signer, { commonName: 'admin', usage: 'client' });
    expect((await present(leaf, signer)).error).toBe('certificate-untrusted');
  });

  it('refuses a certificate signed by a leaf', async () => {
    const forged = issueCertificate(
      { ...alice, subject: 'alice' },
      {
        commonName: 'admin',
        usage: 'client',
      },
    );
    expect((await present(forged, alice)).error).toBe('certificate-untrusted');
  });
});

describe('MtlsProvider configuration', () => {
  it('refuses CA lists that hold no CA certificate', () => {
    expect(() => new MtlsProvider({ caCertificates: '' })).toThrow(
      expect.objectContaining({ code: 'invalid-config', pointer: '/caCertificates' }),
    );
    expect(() => new MtlsProvider({ caCertificates: [root.cert, alice.cert] })).toThrow(
      expect.objectContaining({ code: 'invalid-config', pointer: '/caCertificates/1' }),
    );
  });
  it('refuses malformed pins and proxy ranges', () => {
    expect(
      () => new MtlsProvider({ caCertificates: root.cert, pinnedFingerprints: ['abc'] }),
    ).toThrow(AuthError);
    expect(
      () => new MtlsProvider({ caCertificates: root.cert, trustedProxies: ['10.0.0.0/99'] }),
    ).toThrow(expect.objectContaining({ pointer: '/trustedProxies/0' }));
  });
});
