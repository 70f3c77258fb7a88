/** Output formats: `text` for people, `json` for scripts (a documented, stable shape). */
export const OUTPUT_FORMATS = ['text', 'json'] as const;
/** `text` or `json`. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Resolves `--format` and its shorthand `--json` (commander refuses the two together). */
export function resolveFormat<F extends string = OutputFormat>(options: {
  format?: string;
  json?: boolean;
}): F {
  return (options.json ? 'json' : (options.format ?? 'text')) as F;
}

/** JSON output: pretty-printed, one document, newline-terminated. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// C0 and C1 controls, DEL, and the Unicode bidirectional controls (which can reorder what a
// terminal shows): none of them may reach a terminal from a tool definition or a file name.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that is safe to print on a terminal: control and bidirectional-control characters become
 * `\u{...}` escapes, so a tool named `"x\r\u001b[2Kok"` cannot redraw its own verdict.
 *
 * @example
 * printable('bad\u001b[2K'); // 'bad\\u{1b}[2K'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
