import { ExitCode } from '../../errors.js';
import { formatJson, printable, type OutputFormat } from '../../format.js';
import type { CliIo } from '../../io.js';
import { RegistryClient, type RegistryOptions } from '../../registry-client.js';

/** Options of {@link apiKeyCreate}. */
export interface ApiKeyCreateOptions extends RegistryOptions {
  /** The provider the key publishes for. */
  iss: string;
  /** A label for the key (shown in the registry's records). */
  name?: string;
  /** Lifetime in seconds; default none. */
  expiresSec?: number;
  format?: OutputFormat;
  /** The current time (epoch ms), for the expiry. Default now. */
  now?: number;
}

/**
 * `etdi api-key create ISS` (admin): issues a publisher API key for a provider
 * (`POST /v1/providers/{iss}/api-keys`) and prints it once on stdout: the registry keeps only its
 * hash. Nothing else ever prints an API key.
 *
 * @example
 * await apiKeyCreate({ iss: 'com.acme', registry: 'http://127.0.0.1:4000', apiKey }, io);
 */
export async function apiKeyCreate(options: ApiKeyCreateOptions, io: CliIo): Promise<ExitCode> {
  const registry = RegistryClient.from(options, io, { apiKey: true });
  const now = options.now ?? Date.now();
  const r = await registry.post(['v1', 'providers', options.iss, 'api-keys'], {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.expiresSec === undefined
      ? {}
      : { expiresAt: new Date(now + options.expiresSec * 1000).toISOString() }),
  });
  if (r.status !== 201) throw registry.fail(r, `to issue an API key for ${options.iss}`);
  const body = registry.json(r, 'POST /v1/providers/{iss}/api-keys') as {
    apiKey: string;
    keyId?: string;
    iss?: string;
    expiresAt?: string;
  };
  if (options.format === 'json') {
    io.stdout.write(
      formatJson({
        apiKey: body.apiKey,
        keyId: body.keyId ?? null,
        iss: body.iss ?? options.iss,
        expiresAt: body.expiresAt ?? null,
      }),
    );
  } else {
    io.stdout.write(`${body.apiKey}\n`);
    io.stderr.write(
      `Publisher API key ${body.keyId ?? ''} for ${printable(options.iss)}` +
        `${body.expiresAt ? `, expires ${body.expiresAt}` : ''}: shown once, store it now ` +
        '(e.g. as ETDI_API_KEY in your CI secrets)\n',
    );
  }
  return ExitCode.ok;
}
