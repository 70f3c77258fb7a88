import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '@etdi/auth';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

/** The behaviour every RateLimiter shares; run against memory and Redis alike. */
export function rateLimiterContract(make: () => RateLimiter, subject: () => string): void {
  describe('rate limiter contract', () => {
    it('allows exactly the limit within a window and refuses with the time to wait', async () => {
      const limiter = make();
      const s = subject();
      const limits = [{ window: 'minute', limit: 3 }] as const;
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await limiter.consume(s, limits, T0 + 15_000));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions[3]).toEqual({
        allowed: false,
        window: 'minute',
        limit: 3,
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

    it('counts a request in every window, and a refused one in none', async () => {
      const limiter = make();
      const s = subject();
      const limits = [
        { window: 'minute', limit: 2 },
        { window: 'hour', limit: 3 },
        { window: 'day', limit: 100 },
      ] as const;
      const at = (minute: number) => T0 + minute * 60_000;
      expect((await limiter.consume(s, limits, at(0))).allowed).toBe(true);
      expect((await limiter.consume(s, limits, at(0))).allowed).toBe(true);
      // Refused by the minute limit: the hour budget must not shrink.
      expect(await limiter.consume(s, limits, at(0))).toMatchObject({
        allowed: false,
        window: 'minute',
      });
      expect((await limiter.consume(s, limits, at(1))).allowed).toBe(true);
      expect(await limiter.consume(s, limits, at(2))).toMatchObject({
        allowed: false,
        window: 'hour',
        limit: 3,
        retryAfterMs: 58 * 60_000,
      });
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
      const limits = [{ window: 'minute', limit: 25 }] as const;
      const decisions = await Promise.all(
        Array.from({ length: 100 }, () => limiter.consume(s, limits, T0)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    });
  });
}
