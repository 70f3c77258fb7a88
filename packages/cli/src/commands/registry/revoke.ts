import { CliError, ExitCode } from '../../errors.js';
import { formatJson, printable, type OutputFormat } from '../../format.js';
import type { CliIo } from '../../io.js';
import { RegistryClient, type RegistryOptions } from '../../registry-client.js';
import { parseToolRef } from './tool-ref.js';

/** Options of {@link revoke}: exactly one of `kid`, `tool` and `digest`. */
export interface RevokeOptions extends RegistryOptions {
  kid?: string;
  /** `ISS/NAME` (every version) or `ISS/NAME@VER`. */
  tool?: string;
  digest?: string;
  reason: string;
  format?: OutputFormat;
}

/**
 * `etdi revoke`: puts a key, a tool, one version or one content digest on the registry's
 * revocation list (`POST /v1/revocations`, publisher of the provider or admin). Gateways stop
 * accepting it at their next refresh of the list.
 *
 * @example
 * await revoke({ tool: 'com.acme/read_file@1.0.0', reason: 'leaks paths', registry, apiKey }, io);
 */
export async function revoke(options: RevokeOptions, io: CliIo): Promise<ExitCode> {
  const given = [options.kid, options.tool, options.digest].filter((x) => x !== undefined);
  if (given.length !== 1) {
    throw new CliError('usage', 'etdi revoke needs exactly one of --kid, --tool and --digest', {
      hint: 'e.g. etdi revoke --tool com.acme/read_file@1.0.0 --reason "leaks paths"',
    });
  }
  let subject: Record<string, string>;
  if (options.kid !== undefined) subject = { kid: options.kid };
  else if (options.digest !== undefined) subject = { dig: options.digest };
  else {
    const ref = parseToolRef(options.tool!, '--tool');
    subject = { iss: ref.iss, sub: ref.name, ...(ref.ver === undefined ? {} : { ver: ref.ver }) };
  }
  const registry = RegistryClient.from(options, io, { apiKey: true });
  const r = await registry.post(['v1', 'revocations'], { ...subject, reason: options.reason });
  if (r.status !== 201 && r.status !== 200) throw registry.fail(r, 'the revocation');
  const body = registry.json(r, 'POST /v1/revocations') as {
    entry?: Record<string, unknown>;
    seq?: number;
  };
  io.stdout.write(
    options.format === 'json'
      ? formatJson({
          ok: true,
          created: r.status === 201,
          entry: body.entry ?? subject,
          seq: body.seq ?? null,
        })
      : `${r.status === 201 ? 'revoked' : 'already revoked'} ${printable(JSON.stringify(subject))} ` +
          `(revocation list seq ${body.seq ?? '?'})\n`,
  );
  return ExitCode.ok;
}
