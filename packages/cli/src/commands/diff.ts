import {
  canonicalize,
  EtdiError,
  parseCompactJws,
  sha256Base64url,
  signatureOf,
  signedContent,
  toolDigest,
} from '@etdi/core';
import { diffLines, diffWords } from 'diff';
import { CliError, ExitCode } from '../errors.js';
import { formatJson, printable, type OutputFormat } from '../format.js';
import type { CliIo } from '../io.js';
import { toolName } from '../tool-document.js';
import { readToolSets } from './verify.js';

/** Options of {@link diffTools}. */
export interface DiffOptions {
  /** The old tool list (files or directories, every tool by name). */
  old: readonly string[];
  /** The new tool list. */
  new: readonly string[];
  format?: OutputFormat;
}

/** What a change to one tool amounts to. */
export type DiffClass = 'rug-pull' | 'permission-widening' | 'new-version';

/** The identity and permissions of one side of a tool, from its signature when it has one. */
export interface DiffSide {
  iss: string | null;
  ver: string | null;
  /** Digest of the content (the signature excluded), as in the `dig` claim. */
  dig: string;
  perms: string[];
}

/** One changed member of a tool. */
export interface DiffChange {
  /** `description`, `inputSchema`, `annotations`, `_meta`, ... */
  member: string;
  old: unknown;
  new: unknown;
}

/** One tool in the output of `etdi diff --format json`. */
export interface DiffJsonTool {
  name: string;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  /** For a changed tool: rug-pull, permission-widening or new-version; otherwise null. */
  classification: DiffClass | null;
  old: DiffSide | null;
  new: DiffSide | null;
  /** Content members that differ (the signature excluded). */
  changes: DiffChange[];
  perms: { added: string[]; removed: string[] };
}

/** The output of `etdi diff --format json`. */
export interface DiffJsonOutput {
  tools: DiffJsonTool[];
  summary: {
    added: number;
    removed: number;
    changed: number;
    unchanged: number;
    rugPulls: number;
    permissionWidenings: number;
  };
}

interface Entry {
  readonly tool: Record<string, unknown>;
  readonly side: DiffSide;
  readonly where: string;
}

function sideOf(tool: Record<string, unknown>, where: string): DiffSide {
  let dig: string;
  try {
    dig = toolDigest(tool);
  } catch (error) {
    if (!(error instanceof EtdiError)) throw error;
    // Not a valid MCP tool: still compared, by the digest of its canonical form.
    try {
      dig = sha256Base64url(canonicalize(signedContent(tool)));
    } catch {
      throw new CliError('invalid-input', `${where}: ${error.message}`, {
        hint: 'Fix the JSON so it can be compared',
      });
    }
  }
  const jws = signatureOf(tool);
  let claims: Record<string, unknown> = {};
  if (typeof jws === 'string') {
    try {
      claims = parseCompactJws(jws).payload;
    } catch {
      // An unreadable signature counts as none: diff compares content, verify judges signatures.
    }
  }
  const perms = Array.isArray(claims.perms) ? [...new Set(claims.perms.map(String))].sort() : [];
  return {
    iss: typeof claims.iss === 'string' ? claims.iss : null,
    ver: typeof claims.ver === 'string' ? claims.ver : null,
    dig,
    perms,
  };
}

async function loadSide(paths: readonly string[], io: CliIo): Promise<Map<string, Entry>> {
  const tools = new Map<string, Entry>();
  for (const set of await readToolSets(paths, io.cwd)) {
    for (const [i, tool] of set.doc.tools.entries()) {
      const name = toolName(tool);
      const where = `${set.label}${set.doc.shape === 'tool' ? '' : `#${set.doc.shape === 'list' ? '/tools' : ''}/${i}`}`;
      if (name === undefined || tool === null || typeof tool !== 'object' || Array.isArray(tool)) {
        throw new CliError('invalid-input', `${where} is a tool without a string "name"`, {
          hint: 'diff matches tools by name',
        });
      }
      const entry = {
        tool: tool as Record<string, unknown>,
        side: sideOf(tool as Record<string, unknown>, where),
        where,
      };
      const first = tools.get(name);
      if (first && first.side.dig !== entry.side.dig) {
        throw new CliError(
          'invalid-input',
          `Tool ${JSON.stringify(name)} appears twice with different content (${first.where} and ${where})`,
          {
            hint: 'Compare one list at a time',
          },
        );
      }
      tools.set(name, entry);
    }
  }
  return tools;
}

function memberChanges(a: Record<string, unknown>, b: Record<string, unknown>): DiffChange[] {
  const ca = signedContent(a) as Record<string, unknown>;
  const cb = signedContent(b) as Record<string, unknown>;
  const members = [...new Set([...Object.keys(ca), ...Object.keys(cb)])];
  const same = (x: unknown, y: unknown) => {
    try {
      return (
        canonicalize(x ?? null) === canonicalize(y ?? null) &&
        (x === undefined) === (y === undefined)
      );
    } catch {
      return JSON.stringify(x) === JSON.stringify(y);
    }
  };
  return members
    .filter((m) => !same(ca[m], cb[m]))
    .map((m) => ({ member: m, old: ca[m] ?? null, new: cb[m] ?? null }));
}

function classify(
  a: DiffSide,
  b: DiffSide,
  widened: boolean,
  contentChanged: boolean,
): DiffClass | null {
  const permsChanged = a.perms.join(',') !== b.perms.join(',');
  // Same version (or no version on either side, as in two scans of one server): new content or
  // new permissions under it are a rug pull.
  if (a.ver === b.ver) return contentChanged || permsChanged ? 'rug-pull' : null;
  if (widened) return 'permission-widening';
  return 'new-version';
}

/** The differences of two tool lists, tool by tool (by name). */
export function compareTools(
  oldTools: ReadonlyMap<string, Entry>,
  newTools: ReadonlyMap<string, Entry>,
): DiffJsonOutput {
  const names = [...new Set([...oldTools.keys(), ...newTools.keys()])].sort();
  const tools: DiffJsonTool[] = names.map((name) => {
    const a = oldTools.get(name);
    const b = newTools.get(name);
    const none = { added: [], removed: [] };
    if (!a)
      return {
        name,
        status: 'added',
        classification: null,
        old: null,
        new: b!.side,
        changes: [],
        perms: { added: b!.side.perms, removed: [] },
      };
    if (!b)
      return {
        name,
        status: 'removed',
        classification: null,
        old: a.side,
        new: null,
        changes: [],
        perms: none,
      };
    const added = b.side.perms.filter((p) => !a.side.perms.includes(p));
    const removed = a.side.perms.filter((p) => !b.side.perms.includes(p));
    const contentChanged = a.side.dig !== b.side.dig;
    const classification = classify(a.side, b.side, added.length > 0, contentChanged);
    const changed =
      contentChanged ||
      added.length > 0 ||
      removed.length > 0 ||
      a.side.ver !== b.side.ver ||
      a.side.iss !== b.side.iss;
    return {
      name,
      status: changed ? 'changed' : 'unchanged',
      classification: changed ? classification : null,
      old: a.side,
      new: b.side,
      changes: contentChanged ? memberChanges(a.tool, b.tool) : [],
      perms: { added, removed },
    };
  });
  const count = (f: (t: DiffJsonTool) => boolean) => tools.filter(f).length;
  return {
    tools,
    summary: {
      added: count((t) => t.status === 'added'),
      removed: count((t) => t.status === 'removed'),
      changed: count((t) => t.status === 'changed'),
      unchanged: count((t) => t.status === 'unchanged'),
      rugPulls: count((t) => t.classification === 'rug-pull'),
      permissionWidenings: count((t) => t.classification === 'permission-widening'),
    },
  };
}

/** A readable diff of one member: words for text, lines (with a line of context) for JSON. */
function renderChange(c: DiffChange): string[] {
  const out = [`    ${printable(c.member)}:`];
  if (typeof c.old === 'string' && typeof c.new === 'string') {
    const parts = diffWords(c.old, c.new).map((p) =>
      p.added ? `{+${p.value}+}` : p.removed ? `[-${p.value}-]` : p.value,
    );
    out.push(`      ${printable(parts.join(''))}`);
    return out;
  }
  const text = (v: unknown) => (v === null ? '' : `${JSON.stringify(v, null, 2)}\n`);
  const lines: { mark: string; line: string }[] = [];
  for (const part of diffLines(text(c.old), text(c.new))) {
    const mark = part.added ? '+' : part.removed ? '-' : ' ';
    for (const line of part.value.replace(/\n$/, '').split('\n')) lines.push({ mark, line });
  }
  const near = (i: number) => lines.slice(Math.max(0, i - 1), i + 2).some((l) => l.mark !== ' ');
  let skipped = false;
  for (const [i, l] of lines.entries()) {
    if (l.mark === ' ' && !near(i)) {
      if (!skipped) out.push('      ...');
      skipped = true;
      continue;
    }
    skipped = false;
    out.push(`      ${l.mark} ${printable(l.line)}`);
  }
  return out;
}

function versionOf(s: DiffSide | null): string {
  if (!s) return '';
  return s.ver === null ? 'unsigned' : `${s.iss ?? '?'} ${s.ver}`;
}

function textOf(out: DiffJsonOutput): string {
  const lines: string[] = [];
  for (const t of out.tools) {
    if (t.status === 'unchanged') continue;
    const name = printable(t.name);
    if (t.status === 'added') {
      lines.push(
        `+ ${name}  added (${versionOf(t.new)}${t.new!.perms.length ? `, perms ${t.new!.perms.join(', ')}` : ''})`,
      );
      continue;
    }
    if (t.status === 'removed') {
      lines.push(`- ${name}  removed (was ${versionOf(t.old)})`);
      continue;
    }
    const why =
      t.classification === 'rug-pull'
        ? `RUG PULL: ${t.new!.ver === null ? 'unversioned' : `version ${t.new!.ver}`} changed without a new version`
        : t.classification === 'permission-widening'
          ? `PERMISSION WIDENING: ${versionOf(t.old)} -> ${versionOf(t.new)}`
          : `new version: ${versionOf(t.old)} -> ${versionOf(t.new)}`;
    lines.push(`~ ${name}  ${printable(why)}`);
    if (t.perms.added.length) lines.push(`    perms added: ${printable(t.perms.added.join(', '))}`);
    if (t.perms.removed.length)
      lines.push(`    perms removed: ${printable(t.perms.removed.join(', '))}`);
    if (t.old!.iss !== t.new!.iss && t.old!.iss !== null && t.new!.iss !== null) {
      lines.push(`    provider: ${printable(t.old!.iss)} -> ${printable(t.new!.iss)}`);
    }
    for (const c of t.changes) lines.push(...renderChange(c));
  }
  const s = out.summary;
  lines.push(
    `${s.added} added, ${s.removed} removed, ${s.changed} changed (${s.rugPulls} rug pulls, ` +
      `${s.permissionWidenings} permission widenings), ${s.unchanged} unchanged`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `etdi diff`: what changed between two tool lists (or two versions of a tool): tools added and
 * removed, and for each changed tool its member changes (description word by word, schemas and
 * annotations line by line) and permission changes, classified as `rug-pull` (same version, new
 * content or permissions), `permission-widening` (a new version that adds scopes) or an ordinary
 * `new-version`. Exit 1 when it finds a rug pull or a widening. It compares; it verifies nothing.
 *
 * @example
 * const code = await diffTools({ old: ['yesterday.json'], new: ['today.json'] }, processIo());
 */
export async function diffTools(options: DiffOptions, io: CliIo): Promise<ExitCode> {
  const out = compareTools(await loadSide(options.old, io), await loadSide(options.new, io));
  io.stdout.write(options.format === 'json' ? formatJson(out) : textOf(out));
  return out.summary.rugPulls + out.summary.permissionWidenings > 0
    ? ExitCode.rejected
    : ExitCode.ok;
}
