import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etdi, tempDir } from './support/cli.js';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await tempDir()));
afterAll(() => remove());

const pem = (name: string) => readFile(join(dir, 'tls', name), 'utf8');

/** A TLS server requiring client certificates from the CA; resolves with what each side saw. */
async function handshake(host: string, client: { cert?: string; key?: string }) {
  const ca = await pem('ca.pem');
  const server = createServer(
    {
      cert: await pem('server.pem'),
      key: await pem('server-key.pem'),
      ca,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) =>
      socket.end(
        `hello ${(socket.getPeerCertificate().subject as { CN?: string } | undefined)?.CN}`,
      ),
  );
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket: TLSSocket = connect(
        {
          host,
          port,
          ca,
          servername: host === '::1' || host.includes('.') ? undefined : host,
          ...client,
        },
        () => {
          let data = '';
          socket
            .setEncoding('utf8')
            .on('data', (d: string) => (data += d))
            .on('end', () => resolve(data));
        },
      );
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('etdi certs init', () => {
  it('writes a CA, a server and a client certificate; keys are mode 0600', async () => {
    const r = await etdi(['certs', 'init', '--out', 'tls', '--days', '30', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      files: { caCert: 'tls/ca.pem', clientKey: 'tls/client-key.pem' },
      days: 30,
    });
    for (const key of ['ca-key.pem', 'server-key.pem', 'client-key.pem']) {
      expect((await stat(join(dir, 'tls', key))).mode & 0o777).toBe(0o600);
    }
    const ca = new X509Certificate(await pem('ca.pem'));
    const server = new X509Certificate(await pem('server.pem'));
    const client = new X509Certificate(await pem('client.pem'));
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(server.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
    expect(Date.parse(server.validTo) - Date.parse(server.validFrom)).toBe(30 * 86_400_000);
  });

  it('completes a real mutual-TLS handshake on localhost, 127.0.0.1 and ::1', async () => {
    const client = { cert: await pem('client.pem'), key: await pem('client-key.pem') };
    expect(await handshake('localhost', client)).toBe('hello etdi-dev-client');
    expect(await handshake('127.0.0.1', client)).toBe('hello etdi-dev-client');
    expect(await handshake('::1', client)).toBe('hello etdi-dev-client');
  });

  it('is refused by the server without a client certificate', async () => {
    await expect(handshake('127.0.0.1', {})).rejects.toMatchObject({
      code: expect.stringMatching(
        /ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET|ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE/,
      ),
    });
  });

  it('refuses to overwrite existing files without --force (exit 2)', async () => {
    const before = await pem('ca.pem');
    const r = await etdi(['certs', 'init', '--out', 'tls'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tls\/ca\.pem already exists/);
    expect(await pem('ca.pem')).toBe(before);
    expect((await etdi(['certs', 'init', '--out', 'tls', '--force'], { cwd: dir })).code).toBe(0);
    expect(await pem('ca.pem')).not.toBe(before);
  });
});
