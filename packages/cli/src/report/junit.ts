import type { CheckedTool, ToolSet } from '../check-tools.js';
import { printable } from '../format.js';

/**
 * Text safe in XML 1.0 content and attributes: control characters (which XML 1.0 cannot carry)
 * become `\u{...}` escapes as in text output, then the markup characters are escaped.
 */
function xml(text: string): string {
  return printable(text)
    .replace(/[\uD800-\uDFFF\uFFFE\uFFFF]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/**
 * A JUnit XML report: one `<testsuite>` per file (or server), one `<testcase>` per tool, a
 * `<failure>` whose `type` is the reason code for each rejected tool.
 */
export function junitReport(checked: readonly CheckedTool[], command: string): string {
  const suites = new Map<ToolSet, CheckedTool[]>();
  for (const c of checked) {
    const list = suites.get(c.set);
    if (list) list.push(c);
    else suites.set(c.set, [c]);
  }
  const failures = checked.filter((c) => !c.result.ok).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(command)}" tests="${checked.length}" failures="${failures}" errors="0">`,
  ];
  for (const [set, cases] of suites) {
    const f = cases.filter((c) => !c.result.ok).length;
    lines.push(
      `  <testsuite name="${xml(set.label)}" tests="${cases.length}" failures="${f}" errors="0" skipped="0">`,
    );
    for (const { pointer, result } of cases) {
      const name = xml(result.name ?? `(tool at ${pointer || '/'})`);
      const open = `    <testcase classname="${xml(set.label)}" name="${name}"`;
      if (result.ok) {
        lines.push(`${open}/>`);
        continue;
      }
      const signer =
        result.iss === undefined ? '' : ` (${result.iss} ${result.ver ?? ''}`.trimEnd() + ')';
      lines.push(
        `${open}>`,
        `      <failure type="${result.reason}" message="${xml(`${result.reason}: ${result.detail}`)}">${xml(
          `${result.reason}${signer}${result.attested ? ' attested' : ''}: ${result.detail}`,
        )}</failure>`,
        '    </testcase>',
      );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
