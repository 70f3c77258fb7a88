/** A fixed window a limit counts in. */
export type RateWindow = 'minute' | 'hour' | 'day';

/** At most `limit` requests per `window`. */
export interface RateLimit {
  readonly window: RateWindow;
  readonly limit: number;
}

/** Outcome of {@link RateLimiter.consume}. */
export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** The window whose limit was reached. */
      readonly window: RateWindow;
      readonly limit: number;
      /** Milliseconds until that window starts over. */
      readonly retryAfterMs: number;
    };

/** Length of each window in milliseconds. */
export const WINDOW_MS: Readonly<Record<RateWindow, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * Counts requests per subject (an API key id) in fixed windows aligned to the epoch (UTC).
 * `consume` is all-or-nothing: a request counts in every window only if every window has room,
 * so a request refused by the minute limit does not use up the day's budget.
 */
export interface RateLimiter {
  /**
   * Counts one request. `now` is the caller's clock (epoch milliseconds); a limiter shared by
   * several processes may use a clock of its own instead (`RedisRateLimiter` uses Redis's).
   */
  consume(subject: string, limits: readonly RateLimit[], now: number): Promise<RateDecision>;
}

/** The index of the window `now` falls in, and when it ends. */
export function windowAt(window: RateWindow, now: number): { index: number; endsAt: number } {
  const length = WINDOW_MS[window];
  const index = Math.floor(now / length);
  return { index, endsAt: (index + 1) * length };
}
