import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { extractCredentials, parseXfcc, type AuthRequest } from '@etdi/auth';

function req(headers: AuthRequest['headers'], extra: Partial<AuthRequest> = {}): AuthRequest {
  return {
    headers,
    socket: { remoteAddress: '192.0.2.10' },
    url: '/mcp',
    method: 'post',
    ...extra,
  };
}

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('extractCredentials', () => {
  describe('Authorization: Bearer', () => {
    it('reads the token', () => {
      const c = extractCredentials(req({ authorization: 'Bearer abc.def-ghi_jkl~+/=' }));
      expect(c.accessToken).toBe('abc.def-ghi_jkl~+/=');
      expect(c.issues).toEqual([]);
    });
    it('accepts the scheme in any case', () => {
      expect(extractCredentials(req({ authorization: 'bEaReR tok' })).accessToken).toBe('tok');
    });
    it('reports an empty token', () => {
      const c = extractCredentials(req({ authorization: 'Bearer' }));
      expect(c.accessToken).toBeUndefined();
      expect(c.issues).toMatchObject([
        { code: 'malformed-credentials', header: 'authorization', method: 'bearer-token' },
      ]);
    });
    it('reports characters outside token68', () => {
      const c = extractCredentials(req({ authorization: 'Bearer abc def' }));
      expect(c.issues).toMatchObject([{ code: 'malformed-credentials' }]);
    });
    it('reports an oversized header without reading it', () => {
      const c = extractCredentials(req({ authorization: `Bearer ${'a'.repeat(9000)}` }));
      expect(c.accessToken).toBeUndefined();
      expect(c.issues).toMatchObject([{ code: 'credential-too-large', header: 'authorization' }]);
    });
    it('honours maxCredentialLength', () => {
      const c = extractCredentials(req({ authorization: `Bearer ${'a'.repeat(100)}` }), {
        maxCredentialLength: 64,
      });
      expect(c.issues[0]?.code).toBe('credential-too-large');
    });
    describe('given twice', () => {
      // What Node makes of two Authorization lines: `headers` keeps the first only.
      const node = {
        headers: { authorization: 'Bearer a' },
        headersDistinct: { authorization: ['Bearer a', 'Bearer b'] },
        rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b'],
      };
      it.each([
        [
          'headersDistinct (IncomingMessage)',
          req(node.headers, { headersDistinct: node.headersDistinct }),
        ],
        [
          'rawHeaders (an older or hand-made request)',
          req(node.headers, { rawHeaders: node.rawHeaders }),
        ],
        ['request.raw (a Fastify request)', req(node.headers, { raw: node })],
        [
          'an array in headers (a hand-made request)',
          req({ authorization: ['Bearer a', 'Bearer b'] }),
        ],
      ])('reports them as ambiguous, read from %s', (_label, request) => {
        const c = extractCredentials(request);
        expect(c.accessToken).toBeUndefined();
        expect(c.issues).toMatchObject([
          { code: 'ambiguous-credentials', header: 'authorization' },
        ]);
        expect(c.repeatedHeaders).toEqual(['authorization']);
      });
    });
    it('reports an unsupported scheme', () => {
      const c = extractCredentials(req({ authorization: 'Digest username="x"' }));
      expect(c.issues).toMatchObject([{ code: 'unsupported-scheme', method: 'custom' }]);
    });
    it('reports a header without a scheme', () => {
      expect(extractCredentials(req({ authorization: '   ' })).issues[0]?.code).toBe(
        'malformed-credentials',
      );
    });
  });

  describe('Authorization: Basic', () => {
    it('reads user and password; the password may contain colons', () => {
      const c = extractCredentials(req({ authorization: basic('alice:pa:ss wörd') }));
      expect(c.username).toBe('alice');
      expect(c.password).toBe('pa:ss wörd');
    });
    it.each([
      ['not base64', 'Basic !!!!'],
      ['bad padding', 'Basic YWxpY2U6cGFzcw='],
      ['no colon', basic('alice')],
      ['empty user-id', basic(':password')],
      ['not UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`],
      ['control characters', basic('ali\u0000ce:pw')],
      ['empty', 'Basic '],
    ])('reports %s', (_label, header) => {
      const c = extractCredentials(req({ authorization: header }));
      expect(c.username).toBeUndefined();
      expect(c.password).toBeUndefined();
      expect(c.issues).toMatchObject([{ code: 'malformed-credentials', method: 'basic-auth' }]);
    });
  });

  describe('configured headers', () => {
    it('reads X-API-Key by default', () => {
      expect(extractCredentials(req({ 'x-api-key': 'kid1.secret' })).apiKey).toBe('kid1.secret');
    });
    it('reads other fields from headers of your choosing', () => {
      const c = extractCredentials(
        req({ 'x-gateway-key': 'gk', 'x-project-id': 'proj', 'x-key': 'k1' }),
        { headers: { gatewayKey: 'X-Gateway-Key', projectId: 'x-project-id', apiKey: 'x-key' } },
      );
      expect(c).toMatchObject({ gatewayKey: 'gk', projectId: 'proj', apiKey: 'k1' });
      // The configured secret header is masked when shown, the project header is not.
      expect((c.toJSON().headers as Record<string, string>)['x-key']).toBe('****');
      expect((c.toJSON().headers as Record<string, string>)['x-project-id']).toBe('proj');
    });
    it('reports a header sent twice (Node joins them with ", ")', () => {
      const c = extractCredentials(
        req({ 'x-api-key': 'a.bbbbbbbbbbbbbbbbbbbbbbbbb, c.ddddddddddd' }),
      );
      expect(c.apiKey).toBeUndefined();
      expect(c.issues).toMatchObject([{ code: 'ambiguous-credentials', method: 'api-key' }]);
    });
    it('reports a configured header sent twice, even with the same value', () => {
      const c = extractCredentials(
        req(
          { 'x-gateway-key': 'k1.secret, k1.secret' },
          { headersDistinct: { 'x-gateway-key': ['k1.secret', 'k1.secret'] } },
        ),
        { headers: { gatewayKey: 'X-Gateway-Key' } },
      );
      expect(c.gatewayKey).toBeUndefined();
      expect(c.issues).toMatchObject([
        { code: 'ambiguous-credentials', header: 'x-gateway-key', method: 'api-key' },
      ]);
    });
    it('records other repeated headers for providers that read their own', () => {
      const c = extractCredentials(
        req(
          { 'x-forwarded-groups': 'admin, users' },
          {
            headersDistinct: { 'x-forwarded-groups': ['admin', 'users'], accept: ['*/*'] },
          },
        ),
      );
      expect(c.issues).toEqual([]);
      expect(c.headerRepeated('X-Forwarded-Groups')).toBe(true);
      expect(c.headerRepeated('accept')).toBe(false);
    });
    it('reports a value that is not visible ASCII', () => {
      const c = extractCredentials(req({ 'x-api-key': 'abc\tdef' }));
      expect(c.issues).toMatchObject([{ code: 'malformed-credentials', header: 'x-api-key' }]);
    });
    it('reports a header that contradicts the Authorization header', () => {
      const c = extractCredentials(req({ authorization: 'Bearer one', 'x-token': 'two' }), {
        headers: { accessToken: 'x-token' },
      });
      expect(c.accessToken).toBe('one');
      expect(c.issues).toMatchObject([{ code: 'ambiguous-credentials', header: 'x-token' }]);
    });
  });

  describe('request facts', () => {
    it('takes the peer address from the socket, never from X-Forwarded-For', () => {
      const c = extractCredentials(req({ 'x-forwarded-for': '10.0.0.1' }));
      expect(c.context.remoteAddress).toBe('192.0.2.10');
    });
    it('normalises the path', () => {
      const paths: Record<string, string> = {
        '/a/./b?x=1': '/a/b',
        '//a//b': '/a/b',
        '/x/../a/b#frag': '/a/b',
        '/x/%2e%2e/a/b': '/a/b',
        'http://evil.example/a/b?q': '/a/b',
        '/a%2Fb': '/a%2Fb',
        // Decoded as Fastify's router decodes: unreserved characters and UTF-8 text.
        '/%61dmin/%7Euser': '/admin/~user',
        '/caf%C3%A9': '/café',
        // Reserved characters and `%` stay encoded (upper case); so does what is not UTF-8.
        '/a%2fb%3bc': '/a%2Fb%3Bc',
        '/%252e%252e/x': '/%252e%252e/x',
        '/a%FFb': '/a%FFb',
      };
      for (const [url, path] of Object.entries(paths)) {
        expect(extractCredentials(req({}, { url })).context.path, url).toBe(path);
      }
    });
    it('upper-cases the method', () => {
      expect(extractCredentials(req({})).context.method).toBe('POST');
    });
    it('copies headers with lower-case names, joining repeated ones', () => {
      const c = extractCredentials(req({ 'X-Thing': ['a', 'b'] }));
      expect(c.headers['x-thing']).toBe('a, b');
    });
  });

  describe('forwarded client certificate headers', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
    it('reads a URL-encoded PEM', () => {
      const c = extractCredentials(req({ 'x-ssl-client-cert': encodeURIComponent(pem) }), {
        clientCertificateHeader: { name: 'X-SSL-Client-Cert', format: 'pem' },
      });
      expect(c.clientCertificate).toMatchObject({
        source: 'proxy-header',
        header: 'x-ssl-client-cert',
        chain: [],
      });
      expect(c.clientCertificate?.raw).toContain('MIIBfake');
    });
    it.each([
      ['empty (nginx without a client certificate)', ''],
      ['"(null)" (Apache without a client certificate)', '(null)'],
    ])('reads a header that is %s as no certificate, not a bad one', (_label, value) => {
      const c = extractCredentials(req({ 'x-ssl-client-cert': value }), {
        clientCertificateHeader: { name: 'X-SSL-Client-Cert', format: 'pem' },
      });
      expect(c.clientCertificate).toBeUndefined();
      expect(c.issues).toEqual([]);
    });
    it('refuses two certificates in one header as ambiguous', () => {
      const two = encodeURIComponent(pem + pem.replace('fake', 'other'));
      const c = extractCredentials(req({ 'x-ssl-client-cert': two }), {
        clientCertificateHeader: { name: 'X-SSL-Client-Cert', format: 'pem' },
      });
      expect(c.clientCertificate).toBeUndefined();
      expect(c.issues).toMatchObject([{ code: 'ambiguous-credentials', method: 'mtls' }]);
    });
    it('refuses a certificate with anything around it', () => {
      const c = extractCredentials(
        req({ 'x-ssl-client-cert': `junk, ${encodeURIComponent(pem)}` }),
        { clientCertificateHeader: { name: 'X-SSL-Client-Cert', format: 'pem' } },
      );
      expect(c.clientCertificate).toBeUndefined();
      expect(c.issues).toMatchObject([{ code: 'malformed-credentials', method: 'mtls' }]);
    });
    it('reports a header that holds no PEM', () => {
      const c = extractCredentials(req({ 'x-ssl-client-cert': 'garbage%' }), {
        clientCertificateHeader: { name: 'x-ssl-client-cert', format: 'pem' },
      });
      expect(c.clientCertificate).toBeUndefined();
      expect(c.issues).toMatchObject([{ code: 'malformed-credentials', method: 'mtls' }]);
    });
    it('reads the Cert of the last XFCC element', () => {
      const other = pem.replace('fake', 'other');
      const header = `By=spiffe://a;Cert="${encodeURIComponent(other)}",By=spiffe://b;Hash=abc;Cert="${encodeURIComponent(pem)}";Subject="CN=alice,O=Acme";DNS=a.example;DNS=b.example`;
      const c = extractCredentials(req({ 'x-forwarded-client-cert': header }), {
        clientCertificateHeader: { name: 'x-forwarded-client-cert', format: 'xfcc' },
      });
      expect(c.clientCertificate?.raw).toContain('MIIBfake');
    });
    it('reports XFCC without a Cert', () => {
      const c = extractCredentials(req({ 'x-forwarded-client-cert': 'By=x;Hash=abc' }), {
        clientCertificateHeader: { name: 'x-forwarded-client-cert', format: 'xfcc' },
      });
      expect(c.issues).toMatchObject([{ code: 'malformed-credentials' }]);
    });
    it('ignores the header when the TLS socket already has a certificate', () => {
      const raw = Buffer.from('der');
      const c = extractCredentials(
        req(
          { 'x-ssl-client-cert': encodeURIComponent(pem) },
          {
            socket: {
              remoteAddress: '127.0.0.1',
              getPeerCertificate: () => ({ raw, issuerCertificate: undefined }),
              authorized: true,
            },
          },
        ),
        { clientCertificateHeader: { name: 'x-ssl-client-cert', format: 'pem' } },
      );
      expect(c.clientCertificate).toMatchObject({ source: 'tls', raw, tlsAuthorized: true });
    });
  });

  it('works on a real node:http IncomingMessage', async () => {
    let seen: ReturnType<typeof extractCredentials> | undefined;
    const server = createServer((request: IncomingMessage, response) => {
      seen = extractCredentials(request);
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const r = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/tools/./list?x=1',
          method: 'GET',
          headers: { authorization: 'Bearer tok123', 'x-api-key': 'kid1.secret' },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      r.on('error', reject);
      r.end();
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(seen?.accessToken).toBe('tok123');
    expect(seen?.apiKey).toBe('kid1.secret');
    expect(seen?.context).toEqual({
      remoteAddress: '127.0.0.1',
      method: 'GET',
      path: '/tools/list',
      // Endpoint rules also check the path as sent.
      rawPath: '/tools/./list',
    });
    expect(seen?.clientCertificate).toBeUndefined();
  });
});

describe('parseXfcc', () => {
  it('parses quoted values with separators and escapes', () => {
    const [element] = parseXfcc('Hash=abc;Subject="CN=a\\"b,O=c;d";URI=spiffe://x') ?? [];
    expect(element?.get('hash')).toBe('abc');
    expect(element?.get('subject')).toBe('CN=a"b,O=c;d');
    expect(element?.get('uri')).toBe('spiffe://x');
  });
  it('rejects what is not XFCC', () => {
    expect(parseXfcc('no equals sign')).toBeUndefined();
    expect(parseXfcc('Cert="unterminated')).toBeUndefined();
    expect(parseXfcc('K=v x=y')).toBeUndefined();
  });
});
