import { EtdiError } from '../errors/etdi-error.js';

const UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  m: 60,
  min: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_557_600,
};

/**
 * A duration in whole seconds, from seconds or a string such as `90d`, `12h`, `30m`, `45s`,
 * `2w`, `1y` (Julian years), or a plain number of seconds (`"3600"`).
 *
 * @example
 * parseDuration('30d'); // 2592000
 */
export function parseDuration(value: number | string, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(Math.floor(value)) || value < 0) {
      throw new EtdiError('invalid-argument', `${what} must be a non-negative number of seconds`);
    }
    return Math.floor(value);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w|y)?\s*$/i.exec(value);
  if (!m) {
    throw new EtdiError(
      'invalid-argument',
      `${what} ${JSON.stringify(value)} is not a duration; use e.g. 90d, 12h, 30m, 45s or seconds`,
    );
  }
  const seconds = Math.floor(Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()]!);
  if (!Number.isSafeInteger(seconds)) {
    throw new EtdiError('invalid-argument', `${what} ${JSON.stringify(value)} is too long`);
  }
  return seconds;
}

/**
 * Reads a duration option under the family's rule: `name` takes a string with a unit (`'90d'`,
 * `'60s'`), `nameSec` a number of seconds. Returns seconds, or `undefined` when neither is set.
 * Both at once, or a number under the unit-less name, is an `invalid-argument` error naming the
 * option to use instead (`legacySeconds` still reads such a number as seconds, for options that
 * took one before the rule).
 */
export function durationOption(
  options: object,
  name: string,
  { legacySeconds = false }: { legacySeconds?: boolean } = {},
): number | undefined {
  const text = (options as Record<string, unknown>)[name];
  const seconds = (options as Record<string, unknown>)[`${name}Sec`];
  if (text !== undefined && seconds !== undefined) {
    throw new EtdiError(
      'invalid-argument',
      `Give "${name}" (a duration such as "90d") or "${name}Sec" (seconds), not both`,
    );
  }
  if (seconds !== undefined) {
    if (typeof seconds !== 'number') {
      throw new EtdiError(
        'invalid-argument',
        `"${name}Sec" must be a number of seconds; for a duration such as "90d" use "${name}"`,
      );
    }
    return parseDuration(seconds, `${name}Sec`);
  }
  if (text === undefined) return undefined;
  if (typeof text !== 'string' && !(legacySeconds && typeof text === 'number')) {
    throw new EtdiError(
      'invalid-argument',
      `"${name}" takes a duration string such as "60s" or "90d"; for a number of seconds use "${name}Sec"`,
    );
  }
  return parseDuration(text, name);
}

/** A point in time as milliseconds since the epoch. */
export type TimeInput = Date | number;

/**
 * Resolves `now` options (a Date, epoch milliseconds, a function returning either, or nothing
 * for the current time) to epoch seconds. Anything else, an invalid Date or a non-finite number
 * is an `invalid-argument` error: a NaN time would silently pass every time check.
 */
export function epochSeconds(now?: TimeInput | (() => TimeInput)): number {
  const t: unknown = typeof now === 'function' ? now() : now;
  const ms = t === undefined ? Date.now() : t instanceof Date ? t.getTime() : t;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new EtdiError(
      'invalid-argument',
      `"now" must be a valid Date or epoch milliseconds, got ${t instanceof Date ? 'an invalid Date' : (JSON.stringify(t) ?? typeof t)}`,
    );
  }
  return Math.floor(ms / 1000);
}
