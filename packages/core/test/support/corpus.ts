import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tool } from '@etdi/core';

const dir = fileURLToPath(new URL('../fixtures/mcp-tools/', import.meta.url));

export interface CorpusEntry {
  readonly server: string;
  readonly tool: Tool;
}

/** The 37 real tool definitions of four public MCP servers (see fixtures/README.md). */
export function loadCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const doc = JSON.parse(readFileSync(dir + file, 'utf8')) as {
      server: { name: string };
      tools: Tool[];
    };
    for (const tool of doc.tools) out.push({ server: doc.server.name, tool });
  }
  return out;
}
