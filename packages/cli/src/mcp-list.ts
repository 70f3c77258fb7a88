import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import { CliError } from './errors.js';
import { printable } from './format.js';
import { cliVersion } from './version.js';

/** Which MCP server to list: over Streamable HTTP, or a command spoken to over stdio. */
export type McpTarget =
  | { readonly kind: 'http'; readonly url: URL; readonly headers: Readonly<Record<string, string>> }
  | {
      readonly kind: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      readonly cwd: string;
      readonly env: Readonly<Record<string, string>>;
    };

/** What a server listed. */
export interface ListedTools {
  /** `serverInfo` from the initialize result. */
  readonly server: { readonly name: string; readonly version: string } | undefined;
  /** Every tool of every page, exactly as the server sent it (nothing stripped or added). */
  readonly tools: unknown[];
  readonly pages: number;
}

/**
 * The tools/list result schema for the SDK client: the tools are taken as they came. The SDK's
 * own Tool schema would drop members it does not know, which changes the content a signature
 * covers and would make an honest tool look tampered.
 */
const RawToolsPage = z.looseObject({
  tools: z.array(z.unknown()),
  nextCursor: z.string().optional(),
});

/** A server that keeps handing out cursors is cut off here rather than listed forever. */
const MAX_PAGES = 1000;

function transportFor(target: McpTarget): { transport: Transport; stderr: () => string } {
  if (target.kind === 'http') {
    return {
      transport: new StreamableHTTPClientTransport(target.url, {
        requestInit: { headers: { ...target.headers } },
      }),
      stderr: () => '',
    };
  }
  const transport = new StdioClientTransport({
    command: target.command,
    args: [...target.args],
    cwd: target.cwd,
    env: { ...target.env },
    stderr: 'pipe',
  });
  // The server's own diagnostics are kept (the last few KiB) to explain a failed start.
  let tail = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4096);
  });
  return { transport, stderr: () => tail };
}

/** The target as shown in reports: the URL, or the command line. */
export function targetLabel(target: McpTarget): string {
  return target.kind === 'http' ? target.url.href : [target.command, ...target.args].join(' ');
}

/**
 * Connects to an MCP server with the official SDK client and lists its tools, following
 * `nextCursor` until the last page. Failing to connect or to list is a `CliError('unreachable')`
 * (exit 2), with the end of a stdio server's stderr as the hint.
 */
export async function listServerTools(target: McpTarget, timeoutMs: number): Promise<ListedTools> {
  const { transport, stderr } = transportFor(target);
  const client = new Client({ name: 'etdi-scan', version: cliVersion() });
  const label = printable(targetLabel(target));
  const fail = (what: string, error: unknown) => {
    const serverSaid = stderr().trim().split('\n').slice(-10).join('\n');
    return new CliError(
      'unreachable',
      `Cannot ${what} ${label}: ${printable((error as Error)?.message ?? String(error))}`,
      {
        hint: serverSaid
          ? `The server wrote on stderr:\n${serverSaid}`
          : target.kind === 'http'
            ? 'Check the URL (the MCP endpoint, often /mcp) and --header values'
            : 'Check the command after --: it must start an MCP server speaking over stdio',
        cause: error,
      },
    );
  };
  try {
    try {
      await client.connect(transport, { timeout: timeoutMs });
    } catch (error) {
      throw fail('connect to', error);
    }
    const tools: unknown[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      let page;
      try {
        page = await client.request(
          { method: 'tools/list', params: cursor === undefined ? {} : { cursor } },
          RawToolsPage,
          { timeout: timeoutMs },
        );
      } catch (error) {
        throw fail('list the tools of', error);
      }
      pages++;
      tools.push(...page.tools);
      cursor = page.nextCursor;
      if (cursor !== undefined) {
        if (cursors.has(cursor) || pages >= MAX_PAGES) {
          throw new CliError(
            'server-error',
            `${label} keeps paginating (cursor ${printable(JSON.stringify(cursor))} again or over ${MAX_PAGES} pages)`,
          );
        }
        cursors.add(cursor);
      }
    } while (cursor !== undefined);
    const info = client.getServerVersion();
    return {
      server: info ? { name: info.name, version: info.version } : undefined,
      tools,
      pages,
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}
