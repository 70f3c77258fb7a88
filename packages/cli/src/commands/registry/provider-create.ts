import { ExitCode } from '../../errors.js';
import { formatJson, printable, type OutputFormat } from '../../format.js';
import type { CliIo } from '../../io.js';
import {
  describeProblem,
  problemOf,
  RegistryClient,
  type RegistryOptions,
} from '../../registry-client.js';

/** Options of {@link providerCreate}. */
export interface ProviderCreateOptions extends RegistryOptions {
  /** The provider id to create, e.g. `com.acme`. */
  iss: string;
  format?: OutputFormat;
}

/**
 * `etdi provider create ISS` (admin): creates a provider namespace (`POST /v1/providers`). A
 * namespace that exists, or looks like one that does (`confusable-provider`), is refused with
 * exit 1 and the registry's code.
 *
 * @example
 * await providerCreate({ iss: 'com.acme', registry: 'http://127.0.0.1:4000', apiKey }, io);
 */
export async function providerCreate(options: ProviderCreateOptions, io: CliIo): Promise<ExitCode> {
  const registry = RegistryClient.from(options, io, { apiKey: true });
  const r = await registry.post(['v1', 'providers'], { iss: options.iss });
  if (r.status === 409) {
    const code = problemOf(r)?.code ?? 'conflict';
    io.stdout.write(
      options.format === 'json'
        ? formatJson({ ok: false, iss: options.iss, code, detail: problemOf(r)?.detail ?? null })
        : `refused ${printable(options.iss)}: ${describeProblem(r)}\n`,
    );
    return ExitCode.rejected;
  }
  if (r.status !== 201) throw registry.fail(r, `to create provider ${options.iss}`);
  const body = registry.json(r, 'POST /v1/providers') as { iss?: string; createdAt?: string };
  io.stdout.write(
    options.format === 'json'
      ? formatJson({ ok: true, iss: body.iss ?? options.iss, createdAt: body.createdAt ?? null })
      : `created provider ${printable(body.iss ?? options.iss)}\n`,
  );
  return ExitCode.ok;
}
