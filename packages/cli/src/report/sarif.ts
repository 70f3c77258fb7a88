import { isAbsolute, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REASON_CODES, type ReasonCode } from '@etdi/core';
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import type { CheckedTool, ToolSet } from '../check-tools.js';
import { REASON_HELP } from '../reasons.js';
import { isUrl } from '../sources.js';
import { cliVersion } from '../version.js';

/** Where SARIF 2.1.0 logs point their `$schema`. */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** A file path as a SARIF artifact URI: relative paths stay relative (to the repository root). */
function artifactUri(set: ToolSet): string {
  // A server: its URL, or for a stdio server its command line as an opaque `stdio:` URI.
  if (!set.isFile) return isUrl(set.label) ? set.label : `stdio:${encodeURIComponent(set.label)}`;
  if (isAbsolute(set.label)) return pathToFileURL(set.label).href;
  return set.label.split(sep).map(encodeURIComponent).join('/');
}

function ruleName(reason: ReasonCode): string {
  return reason.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase());
}

/** 1-based line and column of the tool at `pointer` in its file's text. */
function regionOf(set: ToolSet, pointer: string, trees: Map<ToolSet, Node | undefined>) {
  if (set.text === undefined) return undefined;
  if (!trees.has(set)) trees.set(set, parseTree(set.text.replace(/^\uFEFF/, '')));
  const root = trees.get(set);
  if (!root) return undefined;
  const path =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((t) => (/^\d+$/.test(t) ? Number(t) : t));
  const node = findNodeAtLocation(root, path);
  if (!node) return undefined;
  const before = set.text.replace(/^\uFEFF/, '').slice(0, node.offset);
  const startLine = before.split('\n').length;
  return { startLine, startColumn: node.offset - before.lastIndexOf('\n') };
}

/**
 * A SARIF 2.1.0 log of the rejections: one rule per reason code (rule id = the code, with help
 * text), one result per rejected tool, located on its file and, for files, on the line where the
 * tool starts, so code-scanning UIs show each rejection where it is.
 */
export function sarifReport(checked: readonly CheckedTool[]): object {
  const trees = new Map<ToolSet, Node | undefined>();
  const results = checked.flatMap(({ set, pointer, result }) => {
    if (result.ok) return [];
    const region = regionOf(set, pointer, trees);
    const name = result.name ?? `(tool at ${pointer || '/'})`;
    return [
      {
        ruleId: result.reason,
        ruleIndex: REASON_CODES.indexOf(result.reason),
        level: 'error',
        message: { text: `${name}: ${result.detail}` },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: artifactUri(set) },
              ...(region ? { region } : {}),
            },
            logicalLocations: [
              { name, fullyQualifiedName: `${set.label}#${pointer}`, kind: 'object' },
            ],
          },
        ],
        properties: {
          tool: result.name ?? null,
          pointer,
          attested: result.attested,
          ...(result.iss === undefined ? {} : { iss: result.iss }),
          ...(result.ver === undefined ? {} : { ver: result.ver }),
          ...(result.kid === undefined ? {} : { kid: result.kid }),
        },
      },
    ];
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'etdi',
            semanticVersion: cliVersion(),
            rules: REASON_CODES.map((reason) => ({
              id: reason,
              name: ruleName(reason),
              shortDescription: { text: REASON_HELP[reason].summary },
              fullDescription: {
                text: `${REASON_HELP[reason].summary} ${REASON_HELP[reason].help}`,
              },
              help: { text: REASON_HELP[reason].help },
              defaultConfiguration: { level: 'error' },
            })),
          },
        },
        results,
      },
    ],
  };
}
