import { join, resolve } from 'node:path';
import { createDevCertificates } from '../dev-certificates.js';
import { CliError, ExitCode } from '../errors.js';
import { makeDirectory, pathExists, writeFileAtomic } from '../files.js';
import { formatJson, type OutputFormat } from '../format.js';
import type { CliIo } from '../io.js';

/** Options of {@link certsInit}. */
export interface CertsInitOptions {
  /** Directory for the six PEM files; created if missing. */
  out: string;
  /** Lifetime in days. */
  days?: number;
  /** Extra DNS names for the server certificate. */
  dnsNames?: readonly string[];
  clientName?: string;
  force?: boolean;
  format?: OutputFormat;
}

/** The files `etdi certs init` writes, by role. Keys are mode 0600. */
export const CERT_FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
  clientCert: 'client.pem',
  clientKey: 'client-key.pem',
} as const;

/**
 * `etdi certs init`: writes a development CA, a server certificate (SANs localhost, 127.0.0.1,
 * ::1) and a client certificate with their keys, for trying the gateway's mTLS end to end.
 * Refuses to replace existing files without `force`.
 *
 * @example
 * await certsInit({ out: '.demo/tls' }, processIo());
 */
export async function certsInit(options: CertsInitOptions, io: CliIo): Promise<ExitCode> {
  if (
    options.days !== undefined &&
    (!Number.isInteger(options.days) || options.days < 1 || options.days > 3650)
  ) {
    throw new CliError(
      'usage',
      `--days ${options.days} is not a whole number of days from 1 to 3650`,
    );
  }
  const dir = resolve(io.cwd, options.out);
  const paths = Object.fromEntries(
    Object.entries(CERT_FILES).map(([role, name]) => [
      role,
      { path: join(dir, name), display: join(options.out, name) },
    ]),
  ) as { [R in keyof typeof CERT_FILES]: { path: string; display: string } };
  if (!options.force) {
    for (const f of Object.values(paths)) {
      if (await pathExists(f.path)) {
        throw new CliError('file-exists', `${f.display} already exists; refusing to overwrite it`, {
          hint: 'Choose another --out directory, or pass --force to make new certificates',
        });
      }
    }
  }
  // 0700: the directory holds private keys.
  await makeDirectory(dir, options.out, 0o700);
  const certs = createDevCertificates({
    ...(options.days === undefined ? {} : { days: options.days }),
    ...(options.dnsNames === undefined ? {} : { dnsNames: options.dnsNames }),
    ...(options.clientName === undefined ? {} : { clientName: options.clientName }),
  });
  const secret = { mode: 0o600 };
  await writeFileAtomic(paths.caKey.path, certs.ca.key, secret);
  await writeFileAtomic(paths.serverKey.path, certs.server.key, secret);
  await writeFileAtomic(paths.clientKey.path, certs.client.key, secret);
  await writeFileAtomic(paths.caCert.path, certs.ca.cert);
  await writeFileAtomic(paths.serverCert.path, certs.server.cert);
  await writeFileAtomic(paths.clientCert.path, certs.client.cert);

  const files = Object.fromEntries(Object.entries(paths).map(([role, f]) => [role, f.display]));
  if (options.format === 'json') {
    io.stdout.write(formatJson({ files, days: options.days ?? 365 }));
  } else {
    io.stdout.write(
      `Wrote a development CA, a server and a client certificate (valid ${options.days ?? 365} days):\n` +
        `  CA:     ${paths.caCert.display} (key ${paths.caKey.display}: keep it private)\n` +
        `  server: ${paths.serverCert.display}, ${paths.serverKey.display} (localhost, 127.0.0.1, ::1)\n` +
        `  client: ${paths.clientCert.display}, ${paths.clientKey.display}\n` +
        'For development only: never trust this CA in production.\n',
    );
  }
  return ExitCode.ok;
}
