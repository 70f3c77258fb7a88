import { connect } from 'node:net';

/** The status and body of an HTTP/1.1 answer read off a raw socket. */
export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends an HTTP/1.1 request written by hand over a TCP socket: the request target is sent
 * byte for byte (no client normalises `/x/../admin` or `\`), and header lines may repeat
 * (Node's client and `inject` would merge or refuse them).
 */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  headerLines: readonly string[] = [],
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headerLines, 'Connection: close']
          .map((line) => `${line}\r\n`)
          .join('') + '\r\n',
      );
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const head = text.indexOf('\r\n\r\n');
      let body = head === -1 ? '' : text.slice(head + 4);
      if (/\r\ntransfer-encoding: chunked\r\n/i.test(text.slice(0, head))) {
        let decoded = '';
        for (let rest = body; ;) {
          const eol = rest.indexOf('\r\n');
          const size = Number.parseInt(rest.slice(0, eol), 16);
          if (!(size > 0)) break;
          decoded += rest.slice(eol + 2, eol + 2 + size);
          rest = rest.slice(eol + 2 + size + 2);
        }
        body = decoded;
      }
      resolve({ status, body });
    });
  });
}
