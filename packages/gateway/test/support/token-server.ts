/** A small real OAuth 2.0 token endpoint (client credentials) on 127.0.0.1, for upstream tokens. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestTokenServer {
  readonly tokenUrl: string;
  /** Every token issued, in order. */
  readonly issued: string[];
  close(): Promise<void>;
}

export async function startTokenServer(
  clientId: string,
  clientSecret: string,
): Promise<TestTokenServer> {
  const issued: string[] = [];
  const expected = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const viaBody =
      form.get('client_id') === clientId && form.get('client_secret') === clientSecret;
    if (req.headers.authorization !== expected && !viaBody) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_client' }));
      return;
    }
    if (form.get('grant_type') !== 'client_credentials') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unsupported_grant_type' }));
      return;
    }
    const token = `upstream-token-${issued.length + 1}`;
    issued.push(token);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    tokenUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    issued,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
