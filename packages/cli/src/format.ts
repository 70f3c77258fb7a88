/** Output formats: `text` for people, `json` for scripts (a documented, stable shape). */
export const OUTPUT_FORMATS = ['text', 'json'] as const;
/** `text` or `json`. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Resolves `--format` and its shorthand `--json` (commander refuses the two together). */
export function resolveFormat(options: { format?: OutputFormat; json?: boolean }): OutputFormat {
  return options.json ? 'json' : (options.format ?? 'text');
}

/** JSON output: pretty-printed, one document, newline-terminated. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
