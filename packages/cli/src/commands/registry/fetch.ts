import { resolve } from 'node:path';
import { CliError, ExitCode } from '../../errors.js';
import { writeFileAtomic } from '../../files.js';
import { formatJson, printable, type OutputFormat } from '../../format.js';
import type { CliIo } from '../../io.js';
import { describeProblem, RegistryClient, type RegistryOptions } from '../../registry-client.js';
import { parseToolRef } from './tool-ref.js';

/** Options of {@link fetchTool}. */
export interface FetchOptions extends RegistryOptions {
  /** `ISS/NAME` (the latest version) or `ISS/NAME@VER`. */
  tool: string;
  /** Write the signed tool here instead of stdout. */
  out?: string;
  format?: OutputFormat;
}

/**
 * `etdi fetch ISS/NAME[@VER]`: downloads a signed tool from the registry
 * (`GET /v1/tools/{iss}/{name}/{ver|latest}`), byte for byte as the registry serves it, to
 * stdout or `--out`. With `--format json` it prints the tool and the registry's receipt.
 *
 * @example
 * await fetchTool({ tool: 'com.acme/read_file@1.0.0', out: 'read_file.json', registry }, io);
 */
export async function fetchTool(options: FetchOptions, io: CliIo): Promise<ExitCode> {
  const ref = parseToolRef(options.tool, 'fetch');
  const registry = RegistryClient.from(options, io);
  const r = await registry.get(['v1', 'tools', ref.iss, ref.name, ref.ver ?? 'latest']);
  if (r.status === 404) {
    throw new CliError(
      'usage',
      `The registry has no ${printable(options.tool)}: ${describeProblem(r)}`,
      {
        hint: `List the versions: GET ${registry.url('v1', 'tools', ref.iss, ref.name).href}`,
      },
    );
  }
  if (r.status !== 200) throw registry.fail(r, `GET ${options.tool}`);
  const receipt = r.headers['etdi-receipt'] ?? null;
  if (options.out !== undefined) {
    await writeFileAtomic(resolve(io.cwd, options.out), r.text);
  }
  if (options.format === 'json') {
    io.stdout.write(
      formatJson({
        tool: registry.json(r, `GET ${options.tool}`),
        receipt,
        ...(options.out === undefined ? {} : { out: options.out }),
      }),
    );
  } else if (options.out !== undefined) {
    io.stdout.write(`fetched ${printable(options.tool)} -> ${printable(options.out)}\n`);
  } else {
    io.stdout.write(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
  }
  return ExitCode.ok;
}
