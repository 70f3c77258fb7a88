import { AuthError } from '../errors.js';

/** Days of the week, as policies name them. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/**
 * When a key may be used: from `start` (inclusive) to `end` (exclusive), local time in
 * `timeZone`, on `days`. A window whose end is before its start runs past midnight
 * (`22:00`–`06:00`); `days` then names the day the window starts on.
 */
export interface AllowedHours {
  /** IANA time zone, e.g. `Europe/Berlin`. */
  readonly timeZone: string;
  /** `HH:MM`, 24-hour clock. */
  readonly start: string;
  /** `HH:MM`, 24-hour clock; `24:00` is the end of the day. */
  readonly end: string;
  /** Default: every day. */
  readonly days?: readonly Weekday[];
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws `AuthError('invalid-config')` unless the window is well formed and its zone exists. */
export function assertAllowedHours(hours: AllowedHours, where = ''): void {
  try {
    formatter(hours.timeZone);
  } catch (cause) {
    throw new AuthError(
      'invalid-config',
      `${where}/timeZone: unknown time zone "${hours.timeZone}"`,
      {
        pointer: `${where}/timeZone`,
        cause,
      },
    );
  }
  for (const key of ['start', 'end'] as const) {
    if (!HHMM.test(hours[key])) {
      throw new AuthError('invalid-config', `${where}/${key}: "${hours[key]}" is not HH:MM`, {
        pointer: `${where}/${key}`,
      });
    }
  }
}

function localTime(timeZone: string, at: number): { day: number; minute: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type === 'weekday') day = WEEKDAYS.indexOf(part.value.toLowerCase() as Weekday);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

/** Whether `at` (epoch milliseconds) falls inside the window. */
export function isWithinAllowedHours(hours: AllowedHours, at: number): boolean {
  const { day, minute } = localTime(hours.timeZone, at);
  const start = minutes(hours.start);
  const end = minutes(hours.end);
  const days = hours.days;
  const dayAllowed = (d: number) => !days || days.includes(WEEKDAYS[(d + 7) % 7]!);
  if (start === end) return dayAllowed(day);
  if (start < end) return minute >= start && minute < end && dayAllowed(day);
  // Past midnight: the evening part belongs to today, the morning part to yesterday's window.
  if (minute >= start) return dayAllowed(day);
  if (minute < end) return dayAllowed(day - 1);
  return false;
}
