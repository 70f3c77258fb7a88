import { canonicalize, EtdiError } from '@etdi/core';
import { CliError, ExitCode } from '../errors.js';
import { readJsonFile } from '../files.js';
import type { CliIo } from '../io.js';

/** Options of {@link canonicalizeFile}. */
export interface CanonicalizeOptions {
  /** A JSON file. */
  file: string;
}

/**
 * `etdi canonicalize`: prints the RFC 8785 (JCS) form of a JSON file, exactly those bytes and
 * no trailing newline, so `etdi canonicalize f.json | sha256sum` hashes what a signer hashes.
 * Input JCS cannot represent (a lone surrogate, a number out of double range, a repeated member
 * name, nesting past 64 levels) is refused with the JSON pointer of the offending member.
 *
 * @example
 * await canonicalizeFile({ file: 'tool.json' }, processIo());
 */
export async function canonicalizeFile(options: CanonicalizeOptions, io: CliIo): Promise<ExitCode> {
  const value = await readJsonFile(options.file, io.cwd);
  let canonical: string;
  try {
    canonical = canonicalize(value);
  } catch (error) {
    if (error instanceof EtdiError) {
      throw new CliError(
        'not-canonicalizable',
        `${options.file}: ${error.message}` +
          (error.pointer !== undefined && !error.message.includes(`"${error.pointer}"`)
            ? ` (at ${JSON.stringify(error.pointer || '/')})`
            : ''),
        {
          hint:
            'RFC 8785 takes I-JSON: well-formed Unicode, numbers within IEEE 754 double range; ' +
            'etdi also limits nesting to 64 levels, as for tool definitions',
        },
      );
    }
    throw error;
  }
  io.stdout.write(canonical);
  return ExitCode.ok;
}
