import { EtdiError, parseDuration } from '@etdi/core';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { OUTPUT_FORMATS } from './format.js';
import type { TrustFlags } from './trust-context.js';

/** A commander parser for a duration flag (`90d`, `12h`, seconds). */
export function duration(flag: string) {
  return (value: string): number => {
    try {
      return parseDuration(value, flag);
    } catch (error) {
      if (error instanceof EtdiError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/** A commander parser for a comma-separated, repeatable list. */
export function commaList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** A commander parser for a repeatable flag. */
export function repeated(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--format` with its choices, and `--json` as its shorthand. */
export function formatOptions(formats: readonly string[] = OUTPUT_FORMATS): Option[] {
  return [
    new Option('--format <format>', 'output format').choices(formats).default('text'),
    // Conflicts ignore defaults, so only an explicit --format alongside --json is refused.
    new Option('--json', 'short for --format json').conflicts('format'),
  ];
}

/** The `--format`/`--json` values commander hands an action. */
export interface FormatFlags {
  format?: string;
  json?: boolean;
}

/** The trust flags' values as commander hands them to an action. */
export interface TrustOptionValues {
  jwks?: string[];
  registry?: string;
  revocations?: string;
  pins?: string;
  updatePins?: boolean;
  signedTools?: string[];
  provider?: string[];
  maxAge?: number;
}

/** Adds the trust flags `verify` and `scan` share. */
export function addTrustOptions(command: Command): Command {
  return command
    .option('--jwks <file|url...>', 'trust JWKS files or URLs (from etdi keygen or a registry)')
    .option('--registry <url>', 'a registry: its provider keys, revocation list and signed copies')
    .option('--revocations <file|url>', 'a registry-signed revocation list')
    .option('--pins <file>', 'approved definitions: enables rug-pull, rollback, reapproval checks')
    .option('--update-pins', 'write first-use approvals and upgrades back to the --pins file')
    .option(
      '--signed-tools <path...>',
      'signed copies of unsigned tools (attested), as etdi sign writes them',
    )
    .option(
      '--provider <iss>',
      'a provider allowed to attest unsigned tools (repeatable)',
      repeated,
    )
    .option(
      '--max-age <duration>',
      'reject signatures older than this, e.g. 30d',
      duration('--max-age'),
    );
}

/** The {@link TrustFlags} of parsed trust options. */
export function trustFlags(o: TrustOptionValues): TrustFlags {
  return {
    jwks: o.jwks,
    registry: o.registry,
    revocations: o.revocations,
    pins: o.pins,
    updatePins: o.updatePins,
    signedTools: o.signedTools,
    providers: o.provider,
    maxAgeSec: o.maxAge,
  };
}
