import { basename, join, resolve } from 'node:path';
import {
  assertProviderId,
  EtdiError,
  importSigningKey,
  isSemanticVersion,
  normalizePerms,
  signTool,
  toolDigest,
  type PrivateJwk,
  type SigningKey,
  type Tool,
} from '@etdi/core';
import { CliError, ExitCode } from '../errors.js';
import {
  collectJsonFiles,
  makeDirectory,
  parseJsonText,
  readJsonFile,
  readTextFile,
  writeFileAtomic,
  type InputFile,
} from '../files.js';
import { formatJson, type OutputFormat } from '../format.js';
import type { CliIo } from '../io.js';
import { mapConcurrent } from '../map-concurrent.js';
import { createProgress } from '../progress.js';
import { loadSidecar, SIDECAR_FILE, toolSigning } from '../sidecar.js';
import { toolName, toolPointer, toToolDocument, withTools } from '../tool-document.js';

/** Options of {@link sign}, one per flag of `etdi sign`. */
export interface SignOptions {
  /** Files or directories (every `*.json` directly in them) of tool definitions. */
  paths: readonly string[];
  /** Private key file: a private JWK (as `etdi keygen` writes it) or a PKCS#8 PEM. */
  key: string;
  /** Provider to sign for; default the key's `iss`. */
  iss?: string;
  /** Semantic version of the definitions; overrides the sidecar's per-tool `ver`. */
  ver?: string;
  /** OAuth scopes a caller needs to call the tools; override the sidecar's. */
  perms?: readonly string[];
  /**
   * The sidecar of per-tool versions, permissions and lifetimes: a file, `false` for none, or
   * undefined for `etdi.json` in the working directory when there is one.
   */
  sidecar?: string | false;
  /** Signature lifetime in seconds; overrides the sidecar's. */
  expiresSec?: number;
  /** Directory to write the signed files into (same file names). */
  out?: string;
  /** Replace each input file with its signed version. */
  inPlace?: boolean;
  format?: OutputFormat;
}

interface SignedFile {
  readonly input: InputFile;
  readonly output: { readonly path: string; readonly display: string };
  readonly text: string;
  readonly tools: number;
  readonly names: readonly string[];
}

async function loadKey(file: string, cwd: string): Promise<SigningKey> {
  const text = await readTextFile(file, cwd, 'key');
  const hint = 'Use the private.jwk written by `etdi keygen`, or a PKCS#8 PEM private key';
  let input: PrivateJwk | string;
  if (text.trimStart().startsWith('-----BEGIN')) {
    input = text;
  } else {
    const parsed = parseJsonText(text, file, { secret: true });
    if (Array.isArray((parsed as { keys?: unknown } | null)?.keys)) {
      throw new CliError('invalid-key', `${file} is a JWKS of public keys, not a private key`, {
        hint: `${hint}; the JWKS is what verifiers load with --jwks`,
      });
    }
    input = parsed as PrivateJwk;
  }
  try {
    return await importSigningKey(input);
  } catch (error) {
    // Core's key messages describe the key's type and members, never their values.
    if (error instanceof EtdiError) {
      throw new CliError('invalid-key', `Cannot sign with ${file}: ${error.message}`, { hint });
    }
    throw error;
  }
}

function providerFor(key: SigningKey, keyFile: string, requested: string | undefined): string {
  const iss = requested ?? key.iss;
  if (iss === undefined) {
    throw new CliError('usage', `The key in ${keyFile} is bound to no provider`, {
      hint: 'Pass --iss PROVIDER (or sign with a key made by `etdi keygen --iss PROVIDER`)',
    });
  }
  try {
    assertProviderId(iss);
  } catch (error) {
    if (error instanceof EtdiError) throw new CliError('usage', `--iss: ${error.message}`);
    throw error;
  }
  // Checked here as well as in signTool so that the refusal comes before any input is read.
  if (key.iss !== undefined && key.iss !== iss) {
    throw new CliError(
      'key-provider-mismatch',
      `The key in ${keyFile} (kid ${key.kid}) is bound to provider ${JSON.stringify(key.iss)}; ` +
        `it cannot sign for ${JSON.stringify(iss)}`,
      {
        hint:
          `Leave out --iss to sign for ${key.iss}, or sign with a key of ${iss} ` +
          `(etdi keygen --iss ${iss})`,
      },
    );
  }
  return iss;
}

function outputsFor(
  files: readonly InputFile[],
  options: SignOptions,
  cwd: string,
): SignedFile['output'][] {
  if (options.inPlace) return files.map((f) => ({ path: f.path, display: f.display }));
  const out = options.out as string;
  const dir = resolve(cwd, out);
  const claimed = new Map<string, InputFile>();
  return files.map((f) => {
    const name = basename(f.path);
    const other = claimed.get(name);
    if (other) {
      throw new CliError(
        'usage',
        `${other.display} and ${f.display} would both be written to ${join(out, name)}`,
        { hint: 'Sign them in separate runs with different --out directories, or use --in-place' },
      );
    }
    claimed.set(name, f);
    return { path: join(dir, name), display: join(out, name) };
  });
}

function describeSignError(
  error: EtdiError,
  file: InputFile,
  pointer: string,
  tool: unknown,
): CliError {
  if (error.code === 'invalid-version') return new CliError('invalid-version', error.message);
  // Problems with the options (a lifetime too long to be a date), not with the tool.
  if (error.code === 'invalid-argument') return new CliError('usage', error.message);
  const name = toolName(tool);
  const at = `${pointer}${error.pointer ?? ''}` || '/';
  return new CliError(
    'invalid-input',
    `Cannot sign ${name === undefined ? 'the tool' : `tool ${JSON.stringify(name)}`} in ` +
      `${file.display} (${error.code} at ${at}): ${error.message}`,
    { hint: 'Fix the definition: only valid MCP tools are signed' },
  );
}

/**
 * `etdi sign`: signs every tool of the given files, keeping each file's shape and name. All
 * tools are signed in memory before anything is written, so an error leaves every file as it
 * was. All signatures of one run share one issue time.
 *
 * @example
 * await sign({ paths: ['tools'], key: 'keys/private.jwk', ver: '1.0.0', out: 'signed' }, io);
 */
export async function sign(options: SignOptions, io: CliIo): Promise<ExitCode> {
  if (Boolean(options.out) === Boolean(options.inPlace)) {
    throw new CliError('usage', 'etdi sign needs exactly one of --out DIR and --in-place', {
      hint: '--out DIR writes signed copies under the same file names; --in-place replaces the inputs',
    });
  }
  if (options.ver !== undefined && !isSemanticVersion(options.ver)) {
    throw new CliError(
      'invalid-version',
      `--ver ${JSON.stringify(options.ver)} is not a semantic version`,
      { hint: 'Use MAJOR.MINOR.PATCH, e.g. --ver 1.2.0 (no leading "v")' },
    );
  }
  let perms: string[] | undefined;
  try {
    perms = options.perms === undefined ? undefined : normalizePerms(options.perms);
  } catch (error) {
    if (error instanceof EtdiError) throw new CliError('usage', `--perms: ${error.message}`);
    throw error;
  }
  const sidecar = await loadSidecar(options.sidecar, io.cwd);
  const key = await loadKey(options.key, io.cwd);
  const iss = providerFor(key, options.key, options.iss);
  const files = await collectJsonFiles(options.paths, io.cwd);
  const outputs = outputsFor(files, options, io.cwd);

  const now = Date.now();
  const signed: SignedFile[] = [];
  // One (iss, name, ver) has exactly one definition: the same name twice in one run must be the
  // same content, or the run would mint two definitions of one version.
  const seen = new Map<string, { readonly dig: string; readonly where: string }>();
  const versions = new Set<string>();
  const progress = createProgress(io.stderr, 'signing', files.length);
  try {
    // Read ahead, several files at a time; signing stays in file order.
    const values = await mapConcurrent(files, 32, (file) => readJsonFile(file.display, io.cwd));
    for (const [i, file] of files.entries()) {
      const doc = toToolDocument(values[i], file.display);
      const tools: Tool[] = [];
      const toolVersions: string[] = [];
      for (const [index, tool] of doc.tools.entries()) {
        const name = toolName(tool);
        const params = toolSigning(name, sidecar, {
          ver: options.ver,
          perms,
          expiresSec: options.expiresSec,
        });
        if (params.ver === undefined) {
          throw new CliError(
            'usage',
            `No version for ${name === undefined ? 'the tool' : `tool ${JSON.stringify(name)}`} at ` +
              `${file.display}${toolPointer(doc, index) || ''}`,
            {
              hint: sidecar
                ? `Pass --ver, or give it a "ver" in ${sidecar.file}`
                : `Pass --ver SEMVER, or list per-tool versions in ${SIDECAR_FILE}`,
            },
          );
        }
        versions.add(params.ver);
        toolVersions.push(params.ver);
        try {
          tools.push(
            await signTool(tool as Tool, {
              key,
              iss,
              ver: params.ver,
              perms: params.perms,
              now,
              ...(params.expiresSec === undefined ? {} : { expiresInSec: params.expiresSec }),
            }),
          );
        } catch (error) {
          if (error instanceof EtdiError) {
            throw describeSignError(error, file, toolPointer(doc, index), tool);
          }
          throw error;
        }
      }
      for (const [index, tool] of tools.entries()) {
        const where = `${file.display}${toolPointer(doc, index)}`;
        const dig = toolDigest(tool);
        const first = seen.get(tool.name);
        if (first && first.dig !== dig) {
          throw new CliError(
            'invalid-input',
            `Tool ${JSON.stringify(tool.name)} appears in ${first.where} and in ${where} with ` +
              `different content; version ${toolVersions[index]} can have only one definition`,
            {
              hint: 'Give the tools different names, or sign them in separate runs with different --ver',
            },
          );
        }
        if (!first) seen.set(tool.name, { dig, where });
      }
      signed.push({
        input: file,
        output: outputs[i]!,
        text: formatJson(withTools(doc, tools)),
        tools: tools.length,
        names: tools.map((t) => t.name),
      });
      progress.tick();
    }
  } finally {
    progress.done();
  }

  if (sidecar) {
    const signedNames = new Set(signed.flatMap((f) => f.names));
    for (const name of sidecar.tools.keys()) {
      if (!signedNames.has(name)) {
        io.stderr.write(
          `warning: ${sidecar.file} names tool ${JSON.stringify(name)}, which no input holds; check the spelling\n`,
        );
      }
    }
  }
  const ver = versions.size === 1 ? [...versions][0]! : null;

  if (options.out) await makeDirectory(resolve(io.cwd, options.out), options.out);
  for (const f of signed) await writeFileAtomic(f.output.path, f.text);

  const total = signed.reduce((n, f) => n + f.tools, 0);
  if (options.format === 'json') {
    io.stdout.write(
      formatJson({
        files: signed.map((f) => ({
          file: f.input.display,
          out: f.output.display,
          tools: f.tools,
        })),
        iss,
        ver,
        kid: key.kid,
        summary: { files: signed.length, tools: total },
      }),
    );
  } else {
    for (const f of signed) {
      const to = options.inPlace ? '(in place)' : `-> ${f.output.display}`;
      io.stdout.write(
        `signed ${f.tools} ${f.tools === 1 ? 'tool ' : 'tools'} ${f.input.display} ${to}\n`,
      );
    }
    io.stdout.write(
      `Signed ${total} ${total === 1 ? 'tool' : 'tools'} in ${signed.length} ` +
        `${signed.length === 1 ? 'file' : 'files'} as ${iss} ${ver ?? `(versions from ${sidecar?.file})`} ` +
        `(${key.alg}, kid ${key.kid})\n`,
    );
  }
  return ExitCode.ok;
}
