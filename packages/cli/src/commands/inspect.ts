import { EtdiError, parseCompactJws, signatureOf, toolDigest, type TrustStore } from '@etdi/core';
import type { ToolSet } from '../check-tools.js';
import { ExitCode } from '../errors.js';
import { formatJson, printable, type OutputFormat } from '../format.js';
import type { CliIo } from '../io.js';
import { loadJwks } from '../trust-context.js';
import { toolName, toolPointer } from '../tool-document.js';
import { readToolSets } from './verify.js';

/** Options of {@link inspect}. */
export interface InspectOptions {
  paths: readonly string[];
  /** Trust JWKS files or URLs: the key of each signature is looked up in them. */
  jwks?: readonly string[] | undefined;
  format?: OutputFormat;
  /** The time relative dates are computed from (epoch ms). Default now. */
  now?: number;
}

/** A date claim, machine- and human-readable. */
export interface InspectDate {
  /** Epoch seconds, as in the claim. */
  readonly epoch: number;
  readonly iso: string;
  /** e.g. `3 days ago`, `in 2 hours`. */
  readonly relative: string;
}

/** One tool in the output of `etdi inspect --format json`. */
export interface InspectJsonTool {
  file: string;
  pointer: string;
  name: string | null;
  signed: boolean;
  /** The decoded protected header; `null` when unsigned or unreadable. */
  header: Record<string, unknown> | null;
  /** The decoded claims; `null` when unsigned or unreadable. */
  claims: Record<string, unknown> | null;
  digest: {
    /** `dig` recomputed from the tool's content; `null` when the tool is not a valid MCP tool. */
    computed: string | null;
    /** The `dig` claim. */
    signed: string | null;
    /** Whether they are equal; `null` when either is missing. */
    matches: boolean | null;
  };
  /** The signing key and where it was found (with `--jwks`). */
  key: {
    kid: string;
    /** The JWKS file or URL that holds it; `null` when none of the given ones does. */
    jwks: string | null;
    iss: string | null;
    status: string | null;
  } | null;
  dates: { iat?: InspectDate; nbf?: InspectDate; exp?: InspectDate };
  /** What could not be read (a malformed signature, an invalid tool). */
  problems: string[];
}

const UNITS: [string, number][] = [
  ['year', 365 * 86_400],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/** `3 days ago` / `in 2 hours`: the largest unit, rounded down. */
export function relativeTime(epochSec: number, nowMs: number): string {
  const delta = epochSec - Math.floor(nowMs / 1000);
  const abs = Math.abs(delta);
  if (abs < 1) return 'now';
  const [unit, size] = UNITS.find(([, s]) => abs >= s)!;
  const n = Math.floor(abs / size);
  const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

function dateOf(value: unknown, nowMs: number): InspectDate | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const date = new Date(value * 1000);
  return {
    epoch: value,
    iso: Number.isNaN(date.getTime()) ? String(value) : date.toISOString(),
    relative: relativeTime(value, nowMs),
  };
}

function inspectTool(
  set: ToolSet,
  index: number,
  trust: TrustStore,
  nowMs: number,
): InspectJsonTool {
  const tool = set.doc.tools[index];
  const problems: string[] = [];
  let computed: string | null = null;
  try {
    computed = toolDigest(tool);
  } catch (error) {
    if (!(error instanceof EtdiError)) throw error;
    problems.push(`${error.code}: ${error.message}`);
  }
  const jws = signatureOf(tool);
  let header: Record<string, unknown> | null = null;
  let claims: Record<string, unknown> | null = null;
  if (jws !== undefined) {
    try {
      if (typeof jws !== 'string')
        throw new EtdiError('malformed', 'the signature is not a string');
      ({ header, payload: claims } = parseCompactJws(jws));
    } catch (error) {
      if (!(error instanceof EtdiError)) throw error;
      problems.push(`${error.code}: ${error.message}`);
    }
  }
  const signedDig = typeof claims?.dig === 'string' ? claims.dig : null;
  const kid = typeof header?.kid === 'string' ? header.kid : undefined;
  const trusted = kid === undefined ? undefined : trust.get(kid);
  const dates: InspectJsonTool['dates'] = {};
  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    const d = dateOf(claims?.[claim], nowMs);
    if (d) dates[claim] = d;
  }
  return {
    file: set.label,
    pointer: toolPointer(set.doc, index),
    name: toolName(tool) ?? null,
    signed: jws !== undefined,
    header,
    claims,
    digest: {
      computed,
      signed: signedDig,
      matches: computed === null || signedDig === null ? null : computed === signedDig,
    },
    key:
      kid === undefined
        ? null
        : {
            kid,
            jwks: trusted?.source ?? null,
            iss: trusted?.iss ?? null,
            status: trusted?.status ?? null,
          },
    dates,
    problems,
  };
}

function textOf(t: InspectJsonTool): string {
  const lines = [
    `${printable(t.file)}${t.pointer ? `#${printable(t.pointer)}` : ''}: ${printable(t.name ?? '(no name)')}`,
  ];
  const row = (label: string, value: string) =>
    lines.push(`  ${label.padEnd(10)} ${printable(value)}`);
  if (!t.signed) row('signature', 'none (unsigned)');
  if (t.header) row('header', JSON.stringify(t.header));
  if (t.claims) {
    const { iss, sub, ver, perms, jti } = t.claims;
    row('provider', String(iss));
    row('tool', `${String(sub)} ${String(ver)}`);
    row('perms', Array.isArray(perms) && perms.length > 0 ? perms.join(', ') : '(none)');
    if (jti !== undefined) row('jti', String(jti));
  }
  for (const [claim, label] of [
    ['iat', 'issued'],
    ['nbf', 'not before'],
    ['exp', 'expires'],
  ] as const) {
    const d = t.dates[claim];
    if (d) row(label, `${d.iso} (${d.relative})`);
  }
  if (t.digest.computed !== null) {
    const verdict =
      t.digest.matches === null
        ? ''
        : t.digest.matches
          ? ' (matches the signed dig)'
          : ` (DOES NOT match the signed dig ${t.digest.signed})`;
    row('digest', `${t.digest.computed}${verdict}`);
  }
  if (t.key) {
    row(
      'key',
      t.key.jwks === null
        ? `${t.key.kid} (in none of the given JWKS)`
        : `${t.key.kid} in ${t.key.jwks} (${t.key.iss ?? 'bound to no provider'}, ${t.key.status})`,
    );
  }
  for (const p of t.problems) row('problem', p);
  return lines.join('\n');
}

/**
 * `etdi inspect`: shows what a signed tool carries: the decoded header and claims, the digest
 * recomputed from its content and whether it matches, the key id and which JWKS holds it, dates
 * in human form. It judges nothing (exit 0 for any readable file): `etdi verify` gives verdicts.
 *
 * @example
 * await inspect({ paths: ['signed/memory.json'], jwks: ['keys/jwks.json'] }, processIo());
 */
export async function inspect(options: InspectOptions, io: CliIo): Promise<ExitCode> {
  const trust = await loadJwks(options.jwks ?? [], io);
  const sets = await readToolSets(options.paths, io.cwd);
  const now = options.now ?? Date.now();
  const tools = sets.flatMap((set) =>
    set.doc.tools.map((_t, i) => inspectTool(set, i, trust, now)),
  );
  io.stdout.write(
    options.format === 'json' ? formatJson({ tools }) : `${tools.map(textOf).join('\n\n')}\n`,
  );
  return ExitCode.ok;
}
