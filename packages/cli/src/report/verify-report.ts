import { REASON_CODES, type ReasonCode } from '@etdi/core';
import type { CheckedTool } from '../check-tools.js';
import { formatJson, printable } from '../format.js';
import { junitReport } from './junit.js';
import { sarifReport } from './sarif.js';

/** Output formats of `etdi verify` and `etdi scan`. */
export const VERIFY_FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
/** One of {@link VERIFY_FORMATS}. */
export type VerifyFormat = (typeof VERIFY_FORMATS)[number];

/**
 * One tool in the output of `etdi verify --format json`. This shape is a contract (see
 * docs/cli.md): members are only ever added in a new major version, never renamed or removed.
 */
export interface VerifyJsonResult {
  /** The file, as named on the command line (directory members: directory joined with name). */
  file: string;
  /** The tool's `name`, or `null` if it has no string name. */
  name: string | null;
  ok: boolean;
  /** Only when `ok` is false: the first failing check, a DESIGN.md reason code. */
  reason?: ReasonCode;
  /** Provider, version and key id of the signature, when it got far enough to know them. */
  iss?: string;
  ver?: string;
  kid?: string;
}

/** The whole output of `etdi verify --format json`. */
export interface VerifyJsonOutput {
  /** One entry per tool, in file order, then in order within each file. */
  results: VerifyJsonResult[];
  summary: { valid: number; rejected: number };
}

/** The JSON entry of one verdict, members in the documented order. */
export function toJsonResult(c: CheckedTool): VerifyJsonResult {
  const { result } = c;
  const file = c.set.label;
  const name = result.name ?? null;
  if (result.ok) {
    return { file, name, ok: true, iss: result.iss, ver: result.ver, kid: result.kid };
  }
  return {
    file,
    name,
    ok: false,
    reason: result.reason,
    ...(result.iss === undefined ? {} : { iss: result.iss }),
    ...(result.ver === undefined ? {} : { ver: result.ver }),
    ...(result.kid === undefined ? {} : { kid: result.kid }),
  };
}

/** Wide enough for the longest reason code, so every column lines up whatever the verdicts. */
const STATUS_WIDTH = Math.max(...REASON_CODES.map((r) => r.length));

function textReport(checked: readonly CheckedTool[], valid: number): string {
  const rows = checked.map(({ set, pointer, result }) => {
    const signer = result.iss === undefined ? '' : `${result.iss} ${result.ver ?? ''}`.trimEnd();
    const attested = result.attested ? ' (attested)' : '';
    // Names, details and file names come from the files being checked: never print them raw.
    return [
      result.ok ? 'ok' : result.reason,
      printable(set.label),
      printable(result.name ?? `(tool at ${pointer || '/'})`),
      printable(
        result.ok
          ? `${signer}${attested}`
          : `${signer ? `${signer}${attested}: ` : ''}${result.detail}`,
      ),
    ] as const;
  });
  const fileWidth = Math.max(0, ...rows.map((r) => r[1].length));
  const toolWidth = Math.max(0, ...rows.map((r) => r[2].length));
  const lines = rows.map(([status, file, tool, rest]) =>
    `${status.padEnd(STATUS_WIDTH)}  ${file.padEnd(fileWidth)}  ${tool.padEnd(toolWidth)}  ${rest}`.trimEnd(),
  );
  const n = checked.length;
  lines.push(`${n} ${n === 1 ? 'tool' : 'tools'}: ${valid} valid, ${n - valid} rejected`);
  return `${lines.join('\n')}\n`;
}

/** Renders the verdicts of a run in `format`. */
export function renderVerifyReport(
  format: VerifyFormat,
  checked: readonly CheckedTool[],
  run: { readonly command: string },
): string {
  const valid = checked.filter((c) => c.result.ok).length;
  switch (format) {
    case 'json': {
      const output: VerifyJsonOutput = {
        results: checked.map(toJsonResult),
        summary: { valid, rejected: checked.length - valid },
      };
      return formatJson(output);
    }
    case 'sarif':
      return formatJson(sarifReport(checked));
    case 'junit':
      return junitReport(checked, run.command);
    case 'text':
      return textReport(checked, valid);
  }
}
