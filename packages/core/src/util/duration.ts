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
