import { verifyAttested, type AttestedResult } from './attested.js';
import type { Progress } from './progress.js';
import { toolPointer, type ToolDocument } from './tool-document.js';
import type { TrustContext } from './trust-context.js';

/** A set of tools checked together: one file, or one server's `tools/list`. */
export interface ToolSet {
  /** The file as named on the command line, or the server (URL or command). */
  readonly label: string;
  readonly doc: ToolDocument;
  /** The file's text, when it is a file: reports locate each tool's line in it. */
  readonly text?: string;
  /** Whether `label` is a file path (SARIF points at files) or a server. */
  readonly isFile: boolean;
}

/** The verdict on one tool and where it came from. */
export interface CheckedTool {
  readonly set: ToolSet;
  /** JSON pointer of the tool within its file (`''` for a file that is one tool). */
  readonly pointer: string;
  readonly result: AttestedResult;
}

/**
 * Verifies every tool of every set with the run's trust, in band and (with `--provider`)
 * attested. Each set is one list: a name repeated within a set is `malformed`.
 */
export async function checkTools(
  context: TrustContext,
  sets: readonly ToolSet[],
  progress?: Progress,
): Promise<CheckedTool[]> {
  const checked: CheckedTool[] = [];
  for (const set of sets) {
    const tools = [...set.doc.tools];
    const results = context.attest
      ? await verifyAttested(context.verifier, tools, context.attest)
      : (await context.verifier.verifyAll(tools)).results.map((r) => ({ ...r, attested: false }));
    for (const [i, result] of results.entries()) {
      checked.push({ set, pointer: toolPointer(set.doc, i), result });
    }
    progress?.tick();
  }
  return checked;
}
