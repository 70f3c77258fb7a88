import { CliError, ExitCode } from '../../errors.js';
import { readJsonFile } from '../../files.js';
import { formatJson, printable, type OutputFormat } from '../../format.js';
import type { CliIo } from '../../io.js';
import { describeProblem, RegistryClient, type RegistryOptions } from '../../registry-client.js';

/** Options of {@link keysPush}. */
export interface KeysPushOptions extends RegistryOptions {
  /** A trust JWKS file (`jwks.json` from `etdi keygen`). */
  jwks: string;
  /** The provider to add the keys to; default the `iss` its keys carry. */
  iss?: string;
  format?: OutputFormat;
}

/** Reply of `POST /v1/providers/{iss}/keys`. */
interface KeysReply {
  results?: { kid: string; outcome: string }[];
}

/** Posts a trust JWKS to a provider's keys; shared by push, retire and revoke. */
export async function postKeys(
  registry: RegistryClient,
  iss: string,
  jwks: { keys: unknown[] },
  io: CliIo,
  format: OutputFormat | undefined,
): Promise<ExitCode> {
  const r = await registry.post(['v1', 'providers', iss, 'keys'], jwks);
  if (r.status === 409 || r.status === 422) {
    // A key the registry will not take (bound elsewhere, unusable): a rejection, not a usage error.
    io.stdout.write(
      format === 'json'
        ? formatJson({ ok: false, iss, status: r.status, problem: registry.json(r, 'POST keys') })
        : `refused: ${describeProblem(r)}\n`,
    );
    return ExitCode.rejected;
  }
  if (r.status !== 201 && r.status !== 200) throw registry.fail(r, `the keys for ${iss}`);
  const results = (registry.json(r, 'POST /v1/providers/{iss}/keys') as KeysReply).results ?? [];
  io.stdout.write(
    format === 'json'
      ? formatJson({ ok: true, iss, results })
      : results.map((x) => `${x.outcome.padEnd(9)} ${x.kid} (${printable(iss)})\n`).join(''),
  );
  return ExitCode.ok;
}

/**
 * `etdi keys push JWKS`: adds the keys of a trust JWKS to their provider at the registry
 * (`POST /v1/providers/{iss}/keys`, publisher of `iss`). A private key is refused before anything
 * is sent.
 *
 * @example
 * await keysPush({ jwks: 'keys/jwks.json', registry: 'http://127.0.0.1:4000', apiKey }, io);
 */
export async function keysPush(options: KeysPushOptions, io: CliIo): Promise<ExitCode> {
  const doc = (await readJsonFile(options.jwks, io.cwd, { secret: true, what: 'JWKS' })) as {
    keys?: unknown;
    d?: unknown;
  } | null;
  const keys = doc?.keys;
  if (doc?.d !== undefined || !Array.isArray(keys) || keys.length === 0) {
    throw new CliError('invalid-jwks', `${options.jwks} is not a trust JWKS with keys`, {
      hint: 'Push the jwks.json written by `etdi keygen`, never private.jwk',
    });
  }
  if (keys.some((k) => k !== null && typeof k === 'object' && 'd' in k)) {
    throw new CliError('invalid-jwks', `${options.jwks} holds a private key; refusing to send it`, {
      hint: 'Push the jwks.json written by `etdi keygen`, never private.jwk',
    });
  }
  const issuers = new Set(keys.map((k) => (k as { iss?: unknown }).iss));
  const iss = options.iss ?? (issuers.size === 1 ? [...issuers][0] : undefined);
  if (typeof iss !== 'string') {
    throw new CliError(
      'usage',
      `The keys of ${options.jwks} name ${issuers.size} providers; which one?`,
      {
        hint: 'Pass --iss PROVIDER',
      },
    );
  }
  const registry = RegistryClient.from(options, io, { apiKey: true });
  return postKeys(registry, iss, { keys }, io, options.format);
}
