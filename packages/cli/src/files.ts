import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { findDuplicateMember } from '@etdi/core';
import { CliError } from './errors.js';

/** A file named on the command line, or found in a directory named there. */
export interface InputFile {
  /** The path as the user wrote it (joined with the entry name for directory members). */
  readonly display: string;
  /** Absolute path. */
  readonly path: string;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    default:
      return (error as Error | undefined)?.message ?? String(error);
  }
}

/**
 * Expands the paths of a command line: a file stands for itself, a directory for every `*.json`
 * file directly in it (sorted by name; subdirectories are not searched). A path named twice is
 * read once.
 */
export async function collectJsonFiles(
  paths: readonly string[],
  cwd: string,
): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const add = (display: string, path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ display, path });
  };
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let info;
    try {
      info = await stat(abs);
    } catch (error) {
      throw new CliError('unreadable-file', `Cannot read ${p}: ${describeFsError(error)}`, {
        hint: 'Check the path; relative paths are resolved against the current directory',
        cause: error,
      });
    }
    if (!info.isDirectory()) {
      add(p, abs);
      continue;
    }
    const entries = await readdir(abs, { withFileTypes: true });
    const names = [];
    for (const e of entries) {
      if (!e.name.endsWith('.json')) continue;
      // Symlinks count when they lead to a file.
      if (e.isFile() || (e.isSymbolicLink() && (await stat(join(abs, e.name))).isFile())) {
        names.push(e.name);
      }
    }
    if (names.length === 0) {
      throw new CliError('invalid-input', `${p} is a directory with no *.json files in it`, {
        hint: 'Name the files to use, or a directory that holds them',
      });
    }
    for (const name of names.sort()) add(join(p, name), join(abs, name));
  }
  return out;
}

/** Reads a text file, turning file system errors into a {@link CliError} that names the file. */
export async function readTextFile(file: string, cwd: string, what = 'file'): Promise<string> {
  try {
    return await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new CliError(
      'unreadable-file',
      `Cannot read ${what} ${file}: ${describeFsError(error)}`,
      {
        cause: error,
      },
    );
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return `line ${line}, column ${position - before.lastIndexOf('\n')}`;
}

/**
 * Parses a JSON text read from `display`, refusing repeated member names. With `secret`, error
 * messages give only a position: V8's own messages quote the surrounding text, which in a key
 * file would be private key material.
 */
export function parseJsonText(
  text: string,
  display: string,
  options: { secret?: boolean } = {},
): unknown {
  // RFC 8259 lets parsers ignore a byte order mark; editors on some systems add one.
  const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    const where = position === undefined ? '' : ` (${lineAndColumn(json, Number(position))})`;
    throw new CliError(
      'invalid-json',
      `${display} is not valid JSON${options.secret ? where : `: ${message}`}`,
      { cause: options.secret ? undefined : error },
    );
  }
  const duplicate = findDuplicateMember(json);
  if (duplicate !== undefined) {
    throw new CliError(
      'invalid-json',
      `${display} repeats the member name at ${JSON.stringify(duplicate)}; parsers disagree on ` +
        'which value wins, so the file is ambiguous',
      { hint: 'Remove one of the two members' },
    );
  }
  return value;
}

/** Reads and parses a JSON file, keeping its text (reports locate lines in it). */
export async function readJsonDocument(
  file: string,
  cwd: string,
): Promise<{ readonly text: string; readonly value: unknown }> {
  const text = await readTextFile(file, cwd);
  return { text, value: parseJsonText(text, file) };
}

/** Reads and parses a JSON file; see {@link parseJsonText}. */
export async function readJsonFile(
  file: string,
  cwd: string,
  options: { secret?: boolean; what?: string } = {},
): Promise<unknown> {
  return parseJsonText(await readTextFile(file, cwd, options.what), file, options);
}

/**
 * Creates a directory (and its parents) for output named `display` on the command line. `mode`
 * applies to directories it creates, e.g. 0700 for one that will hold private keys.
 */
export async function makeDirectory(path: string, display: string, mode?: number): Promise<void> {
  try {
    await mkdir(path, { recursive: true, ...(mode === undefined ? {} : { mode }) });
  } catch (error) {
    throw new CliError('write-failed', `Cannot create ${display}: ${describeFsError(error)}`, {
      cause: error,
    });
  }
}

/** Whether a path exists (as anything: a dangling symlink counts, so it is never clobbered). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Writes a file so that readers see the old content or the new, never a half-written file:
 * the data goes to a temporary file next to it, which is then renamed over it. `mode` is set
 * exactly (not filtered by the umask), so a private key is 0600 even if it replaced a file
 * that was world-readable. Without `mode`, a replaced file keeps its mode.
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  options: { mode?: number } = {},
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    let mode = options.mode;
    if (mode === undefined) {
      try {
        mode = (await stat(path)).mode & 0o7777;
      } catch {
        // A new file gets the default mode.
      }
    }
    await writeFile(tmp, data, { flag: 'wx', mode: options.mode ?? 0o666 });
    if (mode !== undefined) await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new CliError('write-failed', `Cannot write ${path}: ${describeFsError(error)}`, {
      cause: error,
    });
  }
}
