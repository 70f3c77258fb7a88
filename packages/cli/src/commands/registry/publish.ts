import { ExitCode } from '../../errors.js';
import { formatJson, printable, type OutputFormat } from '../../format.js';
import type { CliIo } from '../../io.js';
import {
  describeProblem,
  problemOf,
  RegistryClient,
  type RegistryOptions,
} from '../../registry-client.js';
import { readToolSets } from '../verify.js';

/** Options of {@link publish}. */
export interface PublishOptions extends RegistryOptions {
  /** Files or directories of signed tools. */
  paths: readonly string[];
  format?: OutputFormat;
}

/** One published tool, as the registry reports it. */
interface Published {
  iss: string;
  name: string;
  ver: string;
  dig: string;
  outcome: 'created' | 'unchanged';
}

/**
 * `etdi publish PATH...`: publishes signed tools to the registry in one all-or-nothing batch
 * (`POST /v1/tools`). Exit 0 when stored (201) or already stored identically (200); exit 1 with
 * reason `rug-pull` on 409 (a published version with other content) and with the registry's
 * reason code on 422 (the first rejected tool).
 *
 * @example
 * await publish({ paths: ['signed'], registry: 'http://127.0.0.1:4000', apiKey }, io);
 */
export async function publish(options: PublishOptions, io: CliIo): Promise<ExitCode> {
  const registry = RegistryClient.from(options, io, { apiKey: true });
  const sets = await readToolSets(options.paths, io.cwd);
  const tools = sets.flatMap((s) => s.doc.tools);
  const r = await registry.post(['v1', 'tools'], { tools });
  if (r.status === 409 || r.status === 422) {
    const problem = problemOf(r);
    const reason = r.status === 409 ? 'rug-pull' : (problem?.code ?? 'rejected');
    const detail = typeof problem?.detail === 'string' ? problem.detail : describeProblem(r);
    io.stdout.write(
      options.format === 'json'
        ? formatJson({
            ok: false,
            status: r.status,
            reason,
            detail,
            pointer: problem?.pointer ?? null,
          })
        : `${reason}: nothing published: ${printable(detail)}${problem?.pointer ? ` (at ${printable(String(problem.pointer))})` : ''}\n`,
    );
    return ExitCode.rejected;
  }
  if (r.status !== 201 && r.status !== 200)
    throw registry.fail(r, `the publication of ${tools.length} tools`);
  const published = (registry.json(r, 'POST /v1/tools') as { tools?: Published[] }).tools ?? [];
  const created = published.filter((t) => t.outcome === 'created').length;
  if (options.format === 'json') {
    io.stdout.write(formatJson({ ok: true, status: r.status, tools: published }));
  } else {
    for (const t of published) {
      io.stdout.write(`${t.outcome.padEnd(9)} ${printable(`${t.iss}/${t.name}@${t.ver}`)}\n`);
    }
    io.stdout.write(
      `Published ${published.length} tools to ${registry.base.origin}: ${created} new, ${published.length - created} already there\n`,
    );
  }
  return ExitCode.ok;
}
