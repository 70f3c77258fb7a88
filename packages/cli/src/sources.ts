import { readTextFile } from './files.js';
import { CliError } from './errors.js';
import { httpRequest, serverUrl } from './http.js';

/** Whether a command-line value names a URL rather than a file. */
export function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

/**
 * Reads a trust source named on the command line (`--jwks`, `--revocations`): a file, or an
 * `http(s)` URL fetched with undici. A status other than 200 is a configuration error (exit 2)
 * naming the URL and the status.
 */
export async function readSource(value: string, cwd: string, flag: string): Promise<string> {
  if (!isUrl(value)) return readTextFile(value, cwd, flag.replace(/^--/, ''));
  const url = serverUrl(value, flag);
  const r = await httpRequest(url, { headers: { accept: 'application/json, application/jwt' } });
  if (r.status !== 200) {
    throw new CliError('server-error', `${flag} ${url.href} answered HTTP ${r.status}`, {
      hint: 'Check the URL',
    });
  }
  return r.text;
}
