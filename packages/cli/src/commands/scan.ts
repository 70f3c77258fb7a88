import { resolve } from 'node:path';
import { checkTools } from '../check-tools.js';
import { CliError, ExitCode } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { formatJson, printable } from '../format.js';
import { serverUrl } from '../http.js';
import type { CliIo } from '../io.js';
import { listServerTools, targetLabel, type McpTarget } from '../mcp-list.js';
import { renderVerifyReport, type VerifyFormat } from '../report/verify-report.js';
import { hasTrust, loadTrustContext, type TrustFlags } from '../trust-context.js';

/** Options of {@link scan}, one per flag of `etdi scan`. */
export interface ScanOptions extends TrustFlags {
  /** `--url`: a Streamable HTTP MCP endpoint. */
  url?: string;
  /** `--header K:V`: sent with every HTTP request (never printed). */
  headers?: readonly string[];
  /** `--stdio -- COMMAND ARGS...`: a server spoken to over stdio. */
  stdio?: readonly string[];
  /** `--out`: write the listed tools as a tools/list result. */
  out?: string;
  /** Connect and per-request timeout, in milliseconds. Default 30 s. */
  timeoutMs?: number;
  format?: VerifyFormat;
}

function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(':');
    const name = colon > 0 ? value.slice(0, colon).trim() : '';
    // The value may be a secret: only the name is ever shown.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new CliError(
        'usage',
        `--header needs NAME:VALUE with a valid header name (got name ${JSON.stringify(name)})`,
        {
          hint: 'e.g. --header "Authorization: Bearer $TOKEN"',
        },
      );
    }
    headers[name.toLowerCase()] = value.slice(colon + 1).trim();
  }
  return headers;
}

function targetOf(options: ScanOptions, io: CliIo): McpTarget {
  const stdio = options.stdio ?? [];
  if ((options.url === undefined) === (stdio.length === 0)) {
    throw new CliError(
      'usage',
      'etdi scan needs exactly one of --url URL and --stdio -- COMMAND ARGS...',
      {
        hint: 'etdi scan --url http://127.0.0.1:3000/mcp --jwks keys/jwks.json, or etdi scan --stdio -- npx my-server',
      },
    );
  }
  if (options.url !== undefined) {
    return {
      kind: 'http',
      url: serverUrl(options.url, '--url'),
      headers: parseHeaders(options.headers ?? []),
    };
  }
  if ((options.headers ?? []).length > 0) {
    throw new CliError('usage', '--header is for --url; a stdio server gets no HTTP headers');
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(io.env ?? {})) if (v !== undefined) env[k] = v;
  return { kind: 'stdio', command: stdio[0]!, args: stdio.slice(1), cwd: io.cwd, env };
}

/**
 * `etdi scan`: connects to a live MCP server with the official SDK client (Streamable HTTP or
 * stdio), lists its tools following pagination, and verifies them in band or attested with the
 * trust flags of `verify`: the check a CI pipeline runs against a server build. `--out` writes
 * the listed tools as a tools/list result for review and `etdi sign`. Without a trust source it
 * only lists (and then needs `--out`).
 *
 * @example
 * await scan({ url: 'http://127.0.0.1:3000/mcp', jwks: ['keys/jwks.json'] }, processIo());
 */
export async function scan(options: ScanOptions, io: CliIo): Promise<ExitCode> {
  const target = targetOf(options, io);
  const verifying = hasTrust(options);
  if (!verifying && options.out === undefined) {
    throw new CliError(
      'usage',
      'Nothing to do: give a trust source to verify against, or --out to save the list',
      {
        hint: 'Pass --jwks FILE|URL or --registry URL, and/or --out FILE',
      },
    );
  }
  // Trust first: a bad flag is reported before any server is started.
  const context = verifying ? await loadTrustContext(options, io) : undefined;
  const listed = await listServerTools(target, options.timeoutMs ?? 30_000);
  const label = targetLabel(target);
  if (options.out !== undefined) {
    const doc = { ...(listed.server ? { server: listed.server } : {}), tools: listed.tools };
    await writeFileAtomic(resolve(io.cwd, options.out), formatJson(doc));
  }
  if (!context) {
    const n = listed.tools.length;
    io.stdout.write(
      options.format === 'json'
        ? formatJson({
            server: listed.server ?? null,
            tools: n,
            pages: listed.pages,
            out: options.out,
          })
        : `listed ${n} ${n === 1 ? 'tool' : 'tools'} (${listed.pages} ${listed.pages === 1 ? 'page' : 'pages'}) from ${printable(label)} -> ${printable(options.out!)}\n`,
    );
    return ExitCode.ok;
  }
  const set = {
    label,
    doc: { shape: 'list', tools: listed.tools, rest: {} } as const,
    isFile: false,
  };
  const checked = await checkTools(context, [set]);
  const pinned = await context.savePins();
  if (pinned !== undefined) io.stderr.write(`wrote ${pinned} pins to ${options.pins}\n`);
  io.stdout.write(renderVerifyReport(options.format ?? 'text', checked, { command: 'etdi scan' }));
  return checked.every((c) => c.result.ok) ? ExitCode.ok : ExitCode.rejected;
}
