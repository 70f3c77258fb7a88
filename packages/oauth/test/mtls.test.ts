import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOAuthService, type OAuthConfig } from '@etdi/oauth';
import { createTestCa, issueCertificate } from '../../../testing/certs.js';
import { FAST_RETRY, errorOf, recordingSleep } from './support/harness.js';
import { MTLS_CLIENT, TestOAuthServer, writePemFiles } from './support/oauth-server.js';

let server: TestOAuthServer;

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function mtlsConfig(overrides: Partial<OAuthConfig> = {}): OAuthConfig {
  return {
    tokenUrl: server.url('mtls', '/token'),
    clientId: MTLS_CLIENT.clientId,
    scope: 'tools:read',
    mtls: { ...server.clientFiles },
    ...overrides,
  };
}

function service() {
  const { sleep, waits } = recordingSleep();
  return { oauth: createOAuthService({ sleep, retry: FAST_RETRY }), waits };
}

describe('mTLS client authentication (RFC 8705)', () => {
  describe('with the right certificate', () => {
    it('gets a token with tls_client_auth', async () => {
      const { oauth } = service();
      const result = await oauth.getAccessToken('upstream', mtlsConfig());
      expect(result.ok).toBe(true);
      expect(server.tokenRequests[0]).toMatchObject({
        listener: 'mtls',
        authMethod: 'tls',
        clientId: MTLS_CLIENT.clientId,
      });
      expect(server.tokenRequests[0]!.params.client_id).toBe(MTLS_CLIENT.clientId);
      await oauth.close();
    });
  });

  describe('with a certificate from another CA', () => {
    it('fails with invalid-client and does not retry', async () => {
      const stranger = issueCertificate(createTestCa('Stranger CA'), {
        commonName: MTLS_CLIENT.tlsSubject,
        usage: 'client',
      });
      const files = writePemFiles(server.ca, stranger);
      const { oauth, waits } = service();
      const result = await oauth.getAccessToken('upstream', mtlsConfig({ mtls: { ...files } }));
      expect(errorOf(result)).toMatchObject({ code: 'invalid-client', status: 401, attempts: 1 });
      expect(waits).toEqual([]);
      await oauth.close();
    });
  });

  describe('with a certificate for another subject', () => {
    it('fails with invalid-client', async () => {
      const other = issueCertificate(server.ca, { commonName: 'someone-else', usage: 'client' });
      const { oauth } = service();
      const result = await oauth.getAccessToken(
        'upstream',
        mtlsConfig({ mtls: { ...writePemFiles(server.ca, other) } }),
      );
      expect(errorOf(result)).toMatchObject({ code: 'invalid-client' });
      await oauth.close();
    });
  });

  describe('without a certificate', () => {
    it('fails with invalid-client', async () => {
      const trustOnly = new Agent({ connect: { ca: server.ca.cert } });
      const oauth = createOAuthService({ dispatcher: trustOnly });
      const { mtls: _, ...noCert } = mtlsConfig();
      const result = await oauth.getAccessToken('upstream', {
        ...noCert,
        clientSecret: 'x-secret',
      });
      expect(errorOf(result)).toMatchObject({ code: 'invalid-client' });
      await trustOnly.close();
    });
  });

  describe('with a CA bundle of several certificates', () => {
    it('trusts each of them, not only the first', async () => {
      const bundle = writePemFiles(
        { cert: `${createTestCa('Unrelated CA').cert}${server.ca.cert}` },
        server.clientCertificate,
      );
      const { oauth } = service();
      const result = await oauth.getAccessToken(
        'upstream',
        mtlsConfig({ mtls: { ...server.clientFiles, caPath: bundle.caPath } }),
      );
      expect(result.ok).toBe(true);
      expect(server.tokenRequests[0]).toMatchObject({ listener: 'mtls', authMethod: 'tls' });
      await oauth.close();
    });
  });

  describe('when the CA bundle does not trust the server', () => {
    it('fails with tls-error, never falling back', async () => {
      const otherCa = createTestCa('Unrelated CA');
      const files = writePemFiles(otherCa, server.clientCertificate);
      const { oauth, waits } = service();
      const result = await oauth.getAccessToken(
        'upstream',
        mtlsConfig({ mtls: { ...server.clientFiles, caPath: files.caPath } }),
      );
      expect(errorOf(result)).toMatchObject({ code: 'tls-error' });
      expect(waits).toEqual([]);
      expect(server.tokenRequests).toHaveLength(0);
      await oauth.close();
    });
  });
});
