import { CliError, type ExitCode } from '../../errors.js';
import type { OutputFormat } from '../../format.js';
import type { CliIo } from '../../io.js';
import { RegistryClient, type RegistryOptions } from '../../registry-client.js';
import { postKeys } from './keys-push.js';

/** Options of {@link keysSetStatus}. */
export interface KeysStatusOptions extends RegistryOptions {
  kid: string;
  /** `retired`: keeps verifying what it signed before `notAfter`; `revoked`: verifies nothing. */
  status: 'retired' | 'revoked';
  /** For `retired`: the end of the key's validity (RFC 3339). Default now. */
  notAfter?: string;
  format?: OutputFormat;
  now?: number;
}

/**
 * `etdi keys retire KID` and `etdi keys revoke KID`: narrows a registered key. The key is found
 * in the registry's JWKS, and the same key is posted back to its provider with the new status
 * (trust only narrows: a retired key cannot be made active again).
 *
 * @example
 * await keysSetStatus({ kid, status: 'retired', registry: 'http://127.0.0.1:4000', apiKey }, io);
 */
export async function keysSetStatus(options: KeysStatusOptions, io: CliIo): Promise<ExitCode> {
  const registry = RegistryClient.from(options, io, { apiKey: true });
  const info = await registry.info();
  const r = await registry.getUrl(info.jwksUri);
  if (r.status !== 200) throw registry.fail(r, `GET ${info.jwksUri.pathname}`);
  const keys = (registry.json(r, 'the JWKS') as { keys?: Record<string, unknown>[] }).keys ?? [];
  const key = keys.find((k) => k.kid === options.kid);
  if (!key || typeof key.iss !== 'string') {
    throw new CliError('usage', `The registry has no key ${options.kid}`, {
      hint: 'Check the kid (etdi inspect shows the kid of a signature; jwks.json lists yours)',
    });
  }
  let notAfter: string | undefined;
  if (options.status === 'retired') {
    notAfter = options.notAfter ?? new Date(options.now ?? Date.now()).toISOString();
    if (Number.isNaN(Date.parse(notAfter))) {
      throw new CliError('usage', `--not-after ${JSON.stringify(notAfter)} is not a date-time`, {
        hint: 'e.g. --not-after 2026-12-31T00:00:00Z',
      });
    }
    notAfter = new Date(notAfter).toISOString();
  }
  const narrowed = {
    ...key,
    status: options.status,
    ...(notAfter === undefined ? {} : { notAfter }),
  };
  return postKeys(registry, key.iss, { keys: [narrowed] }, io, options.format);
}
