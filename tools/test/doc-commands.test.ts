import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@etdi/cli';
import { runGatewayCli } from '@etdi/gateway';
import { createRegistryProgram } from '@etdi/registry';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = [
  'docs/quickstart-tool-author.md',
  'docs/quickstart-gateway-operator.md',
  'docs/quickstart-ci.md',
  'docs/operations.md',
];
const quiet = { write: () => true };

/** Shell lines of the page's sh/yaml blocks, continuations joined. */
async function shellLines(page: string): Promise<string[]> {
  const text = await readFile(join(root, page), 'utf8');
  const blocks = [...text.matchAll(/```(?:sh|yaml)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'));
}

/** Every `etdi …` invocation on a line: the words after `etdi` (or `$E`) up to a shell operator. */
function invocations(line: string, program: RegExp): string[][] {
  const out: string[][] = [];
  for (const m of line.matchAll(program)) {
    const rest = line.slice(m.index + m[0].length).split(/[|;&>)]|\s#|\$\(/)[0]!;
    out.push(rest.trim().split(/\s+/).filter(Boolean));
  }
  return out;
}

async function etdiHelp(command: readonly string[]): Promise<string | undefined> {
  let text = '';
  let err = '';
  const code = await runCli([...command, '--help'], {
    cwd: root,
    env: {},
    stdout: { write: (s: string) => (text += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  // An unknown command with --help shows the parent's help: insist on the command's own.
  const own = text.startsWith(`Usage: etdi ${command.join(' ')} `);
  return code === 0 && err === '' && own ? text : undefined;
}

describe('the etdi command lines of the quickstarts and operations', () => {
  it('name commands that exist, with flags those commands take', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const line of await shellLines(page)) {
        for (const words of invocations(line, /(?:^|[\s(=])(?:etdi|\$E)\s+/g)) {
          const flags = words.filter((w) => /^--[a-z]/.test(w)).map((w) => w.split('=')[0]!);
          const positional = words.filter((w) => !w.startsWith('-'));
          // The command is one word, or two for the groups (keys push, api-key create, ...).
          const one = await etdiHelp(positional.slice(0, 1));
          const two = positional.length > 1 ? await etdiHelp(positional.slice(0, 2)) : undefined;
          const help = two ?? one;
          if (help === undefined || positional.length === 0) {
            problems.push(`${page}: no such command: etdi ${words.join(' ')}`);
            continue;
          }
          checked++;
          for (const flag of flags) {
            if (!new RegExp(`${flag}\\b`).test(help)) {
              problems.push(`${page}: etdi ${positional.slice(0, 2).join(' ')} has no ${flag}`);
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(25);
    expect(problems).toEqual([]);
  });

  it('give etdi-registry and etdi-gateway only flags they take', async () => {
    const registry = createRegistryProgram(
      { stdout: quiet, stderr: quiet, env: {} },
      () => {},
      () => {},
    );
    const registryFlags = new Set(
      [registry, ...registry.commands].flatMap((c) => c.options.map((o) => o.long ?? '')),
    );
    let gatewayHelp = '';
    await runGatewayCli(['--help'], {
      stdout: { write: (s: string) => (gatewayHelp += s) },
      stderr: quiet,
      env: {},
    });
    const problems: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const line of await shellLines(page)) {
        for (const words of invocations(line, /(?:etdi-registry|registry\/dist\/bin\.js)\s+/g)) {
          checked++;
          for (const f of words.filter((w) => w.startsWith('--'))) {
            if (!registryFlags.has(f)) problems.push(`${page}: etdi-registry has no ${f}`);
          }
        }
        for (const words of invocations(
          line,
          /(?:etdi-gateway|\$GATEWAY|gateway\/dist\/bin\.js)\s+/g,
        )) {
          checked++;
          for (const f of words.filter((w) => w.startsWith('--'))) {
            if (!gatewayHelp.includes(f)) problems.push(`${page}: etdi-gateway has no ${f}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });
});
