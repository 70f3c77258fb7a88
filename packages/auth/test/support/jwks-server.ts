import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

/** A JWKS endpoint on 127.0.0.1 whose keys and health a test controls. */
export interface JwksServer {
  readonly url: string;
  keys: JWK[];
  /** HTTP status to answer with; 200 serves `keys`. */
  status: number;
  /** Raw body to serve instead of the key set. */
  body: string | undefined;
  readonly requests: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  let requests = 0;
  const state = { keys, status: 200, body: undefined as string | undefined };
  const server: Server = createServer((req, res) => {
    requests++;
    if (state.status !== 200) {
      res.writeHead(state.status).end('unavailable');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(state.body ?? JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get keys() {
      return state.keys;
    },
    set keys(value) {
      state.keys = value;
    },
    get status() {
      return state.status;
    },
    set status(value) {
      state.status = value;
    },
    get body() {
      return state.body;
    },
    set body(value) {
      state.body = value;
    },
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
