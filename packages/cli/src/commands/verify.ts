import {
  EtdiError,
  REASON_CODES,
  TrustStore,
  Verifier,
  type ReasonCode,
  type TrustJwks,
  type VerifyResult,
} from '@etdi/core';
import { CliError, ExitCode } from '../errors.js';
import { collectJsonFiles, readJsonFile } from '../files.js';
import { formatJson, printable, type OutputFormat } from '../format.js';
import type { CliIo } from '../io.js';
import { createProgress } from '../progress.js';
import { toolPointer, toToolDocument } from '../tool-document.js';

/** Options of {@link verify}, one per flag of `etdi verify`. */
export interface VerifyCommandOptions {
  /** Files or directories (every `*.json` directly in them) of signed tool definitions. */
  paths: readonly string[];
  /** Trust JWKS files; their keys together form the trust store. */
  jwks: readonly string[];
  /** Oldest acceptable signature, in seconds. */
  maxAge?: number;
  format?: OutputFormat;
}

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

const JWKS_HINT = 'Pass the jwks.json written by `etdi keygen` (a JWKS whose keys carry "iss")';

async function loadTrust(files: readonly string[], io: CliIo): Promise<TrustStore> {
  const trust = new TrustStore();
  for (const file of files) {
    // Read as a secret: a private key passed here by mistake must not be quoted in an error.
    const doc = await readJsonFile(file, io.cwd, { secret: true, what: 'JWKS' });
    if (doc !== null && typeof doc === 'object' && Object.hasOwn(doc, 'd')) {
      throw new CliError('invalid-jwks', `${file} is a private key, not a trust JWKS`, {
        hint: `${JWKS_HINT}; never hand a private key to a verifier`,
      });
    }
    try {
      await trust.addJwks(doc, { source: file });
    } catch (error) {
      if (error instanceof EtdiError) {
        throw new CliError('invalid-jwks', error.message, { hint: JWKS_HINT, cause: error });
      }
      throw error;
    }
    for (const key of (doc as TrustJwks).keys) {
      if (key.iss === undefined) {
        io.stderr.write(
          `warning: key ${key.kid ?? '(no kid)'} in ${file} carries no "iss", so it verifies no ` +
            'tool; give it the provider it signs for\n',
        );
      }
    }
  }
  return trust;
}

function toJsonResult(file: string, result: VerifyResult): VerifyJsonResult {
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

type TextRow = readonly [status: string, file: string, tool: string, rest: string];

function textRow(file: string, pointer: string, result: VerifyResult): TextRow {
  const signer = result.iss === undefined ? '' : `${result.iss} ${result.ver ?? ''}`.trimEnd();
  // Names, details and file names come from the files being checked: never print them raw.
  return [
    result.ok ? 'ok' : result.reason,
    printable(file),
    printable(result.name ?? `(tool at ${pointer || '/'})`),
    printable(result.ok ? signer : `${signer ? `${signer}: ` : ''}${result.detail}`),
  ];
}

function formatRows(rows: readonly TextRow[]): string {
  const fileWidth = Math.max(0, ...rows.map((r) => r[1].length));
  const toolWidth = Math.max(0, ...rows.map((r) => r[2].length));
  return rows
    .map(([status, file, tool, rest]) =>
      `${status.padEnd(STATUS_WIDTH)}  ${file.padEnd(fileWidth)}  ${tool.padEnd(toolWidth)}  ${rest}`.trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/**
 * `etdi verify`: verifies every tool of the given files against the trust JWKS files, with the
 * ordered checks of DESIGN.md. Exit code 0 when every tool is valid, 1 when any is rejected.
 * Every input is read before the first tool is verified, so a bad file stops the run with exit
 * code 2 before any verdict is printed.
 *
 * @example
 * const code = await verify({ paths: ['signed'], jwks: ['keys/jwks.json'] }, processIo());
 */
export async function verify(options: VerifyCommandOptions, io: CliIo): Promise<ExitCode> {
  if (options.paths.length === 0) {
    throw new CliError('usage', 'etdi verify needs at least one PATH to verify', {
      hint:
        '--jwks takes every argument up to the next option: put the paths first ' +
        '(etdi verify signed/ --jwks jwks.json) or end the list with --',
    });
  }
  const trust = await loadTrust(options.jwks, io);
  const files = await collectJsonFiles(options.paths, io.cwd);
  const documents = [];
  for (const file of files) {
    documents.push({
      file,
      doc: toToolDocument(await readJsonFile(file.display, io.cwd), file.display),
    });
  }

  const verifier = new Verifier({
    trust,
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
  });
  const json: VerifyJsonResult[] = [];
  const rows: TextRow[] = [];
  const progress = createProgress(io.stderr, 'verifying', documents.length);
  try {
    for (const { file, doc } of documents) {
      const { results } = await verifier.verifyAll([...doc.tools]);
      for (const [i, result] of results.entries()) {
        json.push(toJsonResult(file.display, result));
        rows.push(textRow(file.display, toolPointer(doc, i), result));
      }
      progress.tick();
    }
  } finally {
    progress.done();
  }

  const valid = json.filter((r) => r.ok).length;
  const summary = { valid, rejected: json.length - valid };
  if (options.format === 'json') {
    const output: VerifyJsonOutput = { results: json, summary };
    io.stdout.write(formatJson(output));
  } else {
    io.stdout.write(
      `${formatRows(rows)}${json.length} ${json.length === 1 ? 'tool' : 'tools'}: ${summary.valid} valid, ` +
        `${summary.rejected} rejected\n`,
    );
  }
  return summary.rejected === 0 ? ExitCode.ok : ExitCode.rejected;
}
