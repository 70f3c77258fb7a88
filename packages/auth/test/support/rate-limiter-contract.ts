import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '@etdi/auth';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

/** Options of {@link rateLimiterContract}. */
export interface RateLimiterContractOptions {
  /**
   * The limiter's windows follow the `now` it is given (a memory limiter), so window ends and
   * times to wait can be asserted exactly. A Redis limiter follows Redis's clock: only counts
   * are asserted, in hour and day windows a test run is all but certain not to straddle.
   */
  readonly followsCallerClock: boolean;
}

/** The behaviour every RateLimiter shares; run against memory and Redis alike. */
export function rateLimiterContract(
  make: () => RateLimiter,
  subject: () => string,
  options: RateLimiterContractOptions,
): void {
  describe('rate limiter contract', () => {
    it('allows exactly the limit within a window and says how long to wait', async () => {
      const limiter = make();
      const s = subject();
      const limits = [{ window: 'day', limit: 3 }] as const;
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await limiter.consume(s, limits, T0));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions[3]).toMatchObject({ allowed: false, window: 'day', limit: 3 });
      const wait = (decisions[3] as { retryAfterMs: number }).retryAfterMs;
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(86_400_000);
    });

    it('counts a request in every window, and a refused one in none', async () => {
      const limiter = make();
      // Refused by the day limit: the hour count must not grow.
      const a = subject();
      const hourThenDay = [
        { window: 'hour', limit: 5 },
        { window: 'day', limit: 2 },
      ] as const;
      expect((await limiter.consume(a, hourThenDay, T0)).allowed).toBe(true);
      expect((await limiter.consume(a, hourThenDay, T0)).allowed).toBe(true);
      expect(await limiter.consume(a, hourThenDay, T0)).toMatchObject({
        allowed: false,
        window: 'day',
        limit: 2,
      });
      const hourOnly = [{ window: 'hour', limit: 3 }] as const;
      expect((await limiter.consume(a, hourOnly, T0)).allowed).toBe(true);
      expect((await limiter.consume(a, hourOnly, T0)).allowed).toBe(false);
      // Refused by the hour limit: the day count must not grow.
      const b = subject();
      const tight = [
        { window: 'hour', limit: 2 },
        { window: 'day', limit: 100 },
      ] as const;
      for (let i = 0; i < 2; i++) expect((await limiter.consume(b, tight, T0)).allowed).toBe(true);
      expect(await limiter.consume(b, tight, T0)).toMatchObject({ allowed: false, window: 'hour' });
      const dayOnly = [{ window: 'day', limit: 3 }] as const;
      expect((await limiter.consume(b, dayOnly, T0)).allowed).toBe(true);
      expect((await limiter.consume(b, dayOnly, T0)).allowed).toBe(false);
    });

    it('keeps subjects apart', async () => {
      const limiter = make();
      const a = subject();
      const b = subject();
      const limits = [{ window: 'day', limit: 1 }] as const;
      expect((await limiter.consume(a, limits, T0)).allowed).toBe(true);
      expect((await limiter.consume(b, limits, T0)).allowed).toBe(true);
      expect((await limiter.consume(a, limits, T0)).allowed).toBe(false);
    });

    it('never overshoots under concurrency', async () => {
      const limiter = make();
      const s = subject();
      const limits = [{ window: 'day', limit: 25 }] as const;
      const decisions = await Promise.all(
        Array.from({ length: 100 }, () => limiter.consume(s, limits, T0)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    });

    if (!options.followsCallerClock) return;

    it('refuses with the exact time to the end of the window', async () => {
      const limiter = make();
      const s = subject();
      const limits = [{ window: 'minute', limit: 1 }] as const;
      await limiter.consume(s, limits, T0 + 15_000);
      expect(await limiter.consume(s, limits, T0 + 15_000)).toEqual({
        allowed: false,
        window: 'minute',
        limit: 1,
        retryAfterMs: 45_000,
      });
    });

    it('starts over in the next window', async () => {
      const limiter = make();
      const s = subject();
      const limits = [{ window: 'minute', limit: 1 }] as const;
      expect((await limiter.consume(s, limits, T0)).allowed).toBe(true);
      expect((await limiter.consume(s, limits, T0 + 59_999)).allowed).toBe(false);
      expect((await limiter.consume(s, limits, T0 + 60_000)).allowed).toBe(true);
    });

    it('keeps the longer window counting while the shorter one starts over', async () => {
      const limiter = make();
      const s = subject();
      const limits = [
        { window: 'minute', limit: 2 },
        { window: 'hour', limit: 3 },
      ] as const;
      const at = (minute: number) => T0 + minute * 60_000;
      expect((await limiter.consume(s, limits, at(0))).allowed).toBe(true);
      expect((await limiter.consume(s, limits, at(0))).allowed).toBe(true);
      expect((await limiter.consume(s, limits, at(0))).allowed).toBe(false);
      expect((await limiter.consume(s, limits, at(1))).allowed).toBe(true);
      expect(await limiter.consume(s, limits, at(2))).toMatchObject({
        allowed: false,
        window: 'hour',
        limit: 3,
        retryAfterMs: 58 * 60_000,
      });
    });
  });
}
