import Type, { type Static } from 'typebox';
import { AuthError } from '../errors.js';
import { NonEmptyString } from '../config/schema-parts.js';

const HHMM = '^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$';

/**
 * When a key may be used: from `start` (inclusive) to `end` (exclusive), local time in
 * `timeZone`, on `days`. A window whose end is before its start runs past midnight
 * (`22:00`–`06:00`); `days` then names the day the window starts on.
 */
export const AllowedHoursSchema = Type.Object(
  {
    /** IANA time zone, e.g. `Europe/Berlin`. */
    timeZone: NonEmptyString,
    /** `HH:MM`, 24-hour clock. */
    start: Type.String({ pattern: HHMM }),
    /** `HH:MM`, 24-hour clock; `24:00` is the end of the day. */
    end: Type.String({ pattern: HHMM }),
    /** Default: every day. */
    days: Type.Optional(
      Type.Immutable(Type.Array(Type.Enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))),
    ),
  },
  { additionalProperties: false },
);

/** When a key may be used; see {@link AllowedHoursSchema}. */
export type AllowedHours = Static<typeof AllowedHoursSchema>;

/** Days of the week, as policies name them. */
export type Weekday = NonNullable<AllowedHours['days']>[number];

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

/**
 * Throws `AuthError('invalid-config')` unless the window's time zone exists: the one thing its
 * schema cannot say.
 */
export function assertTimeZone(hours: AllowedHours, where = ''): void {
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
