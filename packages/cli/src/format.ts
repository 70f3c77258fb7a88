import { CliError } from './errors.js';

/** Output formats: `text` for people, `json` for scripts (a documented, stable shape). */
export const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Resolves `--format` and its shorthand `--json`, which must not contradict each other. */
export function resolveFormat(options: { format?: OutputFormat; json?: boolean }): OutputFormat {
  if (options.json && options.format === 'text') {
    throw new CliError('usage', '--json contradicts --format text', {
      hint: 'Pass one of them: --json is short for --format json',
    });
  }
  return options.json ? 'json' : (options.format ?? 'text');
}

/** JSON output: pretty-printed, one document, newline-terminated. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
