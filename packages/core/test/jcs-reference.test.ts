import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import jcs from 'canonicalize';
import { describe, expect, it } from 'vitest';
import {
  assertCanonicalizable,
  canonicalize,
  EtdiError,
  type CanonicalizeOptions,
} from '@etdi/core';

/**
 * The reference: what `canonicalize` was before its single pass, and what it must stay byte for
 * byte: the guard, then the `canonicalize` library (RFC 8785's JavaScript reference lineage).
 */
function reference(value: unknown, options?: CanonicalizeOptions): string {
  assertCanonicalizable(value, options);
  return jcs(value)!;
}

/** What a function returns or throws, in a form `toEqual` compares exactly. */
function outcome(run: () => string): { out: string } | { error: Record<string, unknown> } {
  try {
    return { out: run() };
  } catch (e) {
    if (!(e instanceof EtdiError)) throw e;
    return { error: { name: e.name, code: e.code, pointer: e.pointer, message: e.message } };
  }
}

const dir = fileURLToPath(new URL('./fixtures/jcs/', import.meta.url));

describe('canonicalize against the reference (the canonicalize library behind the guard)', () => {
  describe('on the RFC 8785 vectors', () => {
    for (const file of readdirSync(`${dir}input`).filter((f) => f.endsWith('.json'))) {
      it(`${file}: byte-identical output`, () => {
        const input = JSON.parse(readFileSync(`${dir}input/${file}`, 'utf8')) as unknown;
        const expected = readFileSync(`${dir}output/${file}`, 'utf8');
        expect(jcs(input)).toBe(expected);
        expect(canonicalize(input)).toBe(expected);
      });
    }
  });

  describe('on generated values (fast-check, 100,000 runs)', () => {
    // Keys whose UTF-16 order differs from their code point order: U+FFFD sorts after the
    // surrogate pair of U+1F600 in UTF-16 (0xFFFD > 0xD83D), before it by code point.
    const trickyKeys = fc.constantFrom(
      '\uFFFD',
      '\u{1F600}',
      '\uE000',
      '\u{10000}',
      '\u{10FFFF}',
      'a',
      'B',
      '',
      '__proto__',
      'toString',
      'constructor',
      '1',
      '10',
      '\u00e9',
      'e\u0301',
      '\u0000',
    );
    const key = fc.oneof(
      { arbitrary: trickyKeys, weight: 3 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 6 }), weight: 3 },
      { arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }), weight: 2 },
      { arbitrary: fc.constant('x\uD800'), weight: 1 },
    );
    const number = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.double({ min: -1e-300, max: 1e-300 }),
      fc.constantFrom(
        -0,
        0,
        1e21,
        1e-7,
        1e-6,
        5e-324,
        -5e-324,
        2 ** 53,
        -(2 ** 53) - 2,
        1.7976931348623157e308,
        333333333.3333333,
        0.1 + 0.2,
        4.35,
        1e20,
        9.999999999999999e22,
      ),
    );
    const string = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary-ascii' }),
      fc.constantFrom('\u2028\u2029', '\u007f\u0080', '"\\/\b\f\n\r\t', '\u{1F4A9}', '</script>'),
    );
    // Values JCS cannot represent, rarely, so that refusals are compared too.
    const bad = fc.constantFrom<unknown>(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      'lone \uDC00 low',
      '\uD83D',
      10n,
      () => 1,
      Symbol('s'),
      new Date(0),
      new Map(),
      undefined,
    );
    const leaf = fc.oneof(
      { arbitrary: string, weight: 8 },
      { arbitrary: number, weight: 8 },
      { arbitrary: fc.boolean(), weight: 2 },
      { arbitrary: fc.constant(null), weight: 2 },
      { arbitrary: bad, weight: 1 },
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        tie('array'),
        tie('object'),
      ),
      array: fc.array(tie('value'), { maxLength: 5 }),
      object: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
    }));

    // About 7 s of CPU; the timeout is for a machine shared with other test processes.
    it(
      'gives the same bytes, or the same refusal (code, pointer, message), every time',
      { timeout: 120_000 },
      () => {
        let accepted = 0;
        fc.assert(
          fc.property(value, fc.option(fc.integer({ min: 1, max: 6 })), (v, maxDepth) => {
            const options = maxDepth === null ? undefined : { maxDepth };
            const expected = outcome(() => reference(v, options));
            if ('out' in expected) accepted++;
            // A plain comparison (fast-check reports the counterexample): expect() per run is slow.
            return (
              JSON.stringify(outcome(() => canonicalize(v, options))) === JSON.stringify(expected)
            );
          }),
          { numRuns: 100_000 },
        );
        // Most values are representable: the comparison is mostly of output, not of refusals.
        expect(accepted).toBeGreaterThan(50_000);
      },
    );
  });

  describe('where the single pass is stricter than check-then-serialize', () => {
    it('refuses a toJSON the member walk cannot see, which the library would call', () => {
      const array = Object.defineProperty([1], 'toJSON', { value: () => ['rm -rf /'] });
      const object = Object.defineProperty({ a: 1 }, 'toJSON', { value: () => 'x' });
      expect(jcs({ e: array })).toBe('{"e":["rm -rf /"]}');
      for (const [v, pointer] of [
        [{ e: array }, '/e'],
        [{ o: object }, '/o'],
      ] as const) {
        expect(() => canonicalize(v)).toThrowError(
          expect.objectContaining({ code: 'not-canonicalizable', pointer }),
        );
      }
    });

    it('reads each value once: an accessor cannot show the check one value and the output another', () => {
      let reads = 0;
      const shifty = {
        get n() {
          reads++;
          return reads === 1 ? Number.NaN : 1;
        },
      };
      let error: unknown;
      try {
        canonicalize(shifty);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EtdiError);
      expect(error).toMatchObject({ code: 'not-canonicalizable', pointer: '' });
    });
  });
});
