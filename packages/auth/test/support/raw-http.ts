import { connect } from 'node:net';

/** The status, headers and body of an HTTP/1.1 answer read off a raw socket. */
export interface RawResponse {
  readonly status: number;
  /** Header lines by lower-case name, each value as sent (latin1), repeated ones in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
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
      const headers: Record<string, string[]> = {};
      for (const line of text.slice(0, head).split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        (headers[name] ??= []).push(line.slice(colon + 1).trim());
      }
      // Read as latin1 so chunk sizes count bytes; the body itself is UTF-8.
      resolve({ status, headers, body: Buffer.from(body, 'latin1').toString('utf8') });
    });
  });
}
