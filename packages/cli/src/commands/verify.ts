import { checkTools, type ToolSet } from '../check-tools.js';
import { CliError, ExitCode } from '../errors.js';
import { collectJsonFiles, readJsonDocument } from '../files.js';
import type { CliIo } from '../io.js';
import { mapConcurrent } from '../map-concurrent.js';
import { createProgress } from '../progress.js';
import { renderVerifyReport, type VerifyFormat } from '../report/verify-report.js';
import { toToolDocument } from '../tool-document.js';
import { loadTrustContext, type TrustFlags } from '../trust-context.js';

export type { VerifyJsonOutput, VerifyJsonResult } from '../report/verify-report.js';

/** Options of {@link verify}, one per flag of `etdi verify`. */
export interface VerifyCommandOptions extends TrustFlags {
  /** Files or directories (every `*.json` directly in them) of tool definitions. */
  paths: readonly string[];
  format?: VerifyFormat;
}

/** Reads the tool files of a command line; any unreadable or non-JSON file stops the run. */
export async function readToolSets(paths: readonly string[], cwd: string): Promise<ToolSet[]> {
  return mapConcurrent(await collectJsonFiles(paths, cwd), 32, async (file) => {
    const { text, value } = await readJsonDocument(file.display, cwd);
    return { label: file.display, doc: toToolDocument(value, file.display), text, isFile: true };
  });
}

/**
 * `etdi verify`: verifies every tool of the given files with the ordered checks of DESIGN.md,
 * against the trust sources of the flags (JWKS, registry, revocation list, pins, signed copies).
 * Exit code 0 when every tool is valid, 1 when any is rejected. Trust and every input are loaded
 * before the first tool is verified, so a bad flag or file exits 2 before any verdict is printed.
 *
 * @example
 * const code = await verify({ paths: ['signed'], jwks: ['keys/jwks.json'] }, processIo());
 */
export async function verify(options: VerifyCommandOptions, io: CliIo): Promise<ExitCode> {
  if (options.paths.length === 0) {
    throw new CliError('usage', 'etdi verify needs at least one PATH to verify', {
      hint:
        '--jwks takes every argument up to the next option: put the paths first ' +
        '(etdi verify signed/ --jwks jwks.json) or end the list with --',
    });
  }
  const context = await loadTrustContext(options, io);
  const sets = await readToolSets(options.paths, io.cwd);
  const progress = createProgress(io.stderr, 'verifying', sets.length);
  let checked;
  try {
    checked = await checkTools(context, sets, progress);
  } finally {
    progress.done();
  }
  const pinned = await context.savePins();
  if (pinned !== undefined) io.stderr.write(`wrote ${pinned} pins to ${options.pins}\n`);
  io.stdout.write(
    renderVerifyReport(options.format ?? 'text', checked, { command: 'etdi verify' }),
  );
  return checked.every((c) => c.result.ok) ? ExitCode.ok : ExitCode.rejected;
}
