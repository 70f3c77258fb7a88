import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertCanonicalizable, canonicalBytes, canonicalize, EtdiError } from '@etdi/core';
import { errorOf } from './support/errors.js';

const dir = fileURLToPath(new URL('./fixtures/jcs/', import.meta.url));
const vectors = readdirSync(`${dir}input`)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();

describe('canonicalize', () => {
  describe('RFC 8785 test vectors (cyberphone/json-canonicalization)', () => {
    it('has all six vectors', () => {
      expect(vectors).toEqual(['arrays', 'french', 'structures', 'unicode', 'values', 'weird']);
    });

    for (const name of vectors) {
      it(`reproduces ${name} byte for byte`, () => {
        const input = JSON.parse(readFileSync(`${dir}input/${name}.json`, 'utf8')) as unknown;
        const expected = readFileSync(`${dir}output/${name}.json`);
        const hex = readFileSync(`${dir}outhex/${name}.txt`, 'utf8').replace(/\s+/g, '');
        const bytes = canonicalBytes(input);
        expect(bytes.equals(expected)).toBe(true);
        expect(bytes.toString('hex')).toBe(hex);
        expect(canonicalize(input)).toBe(expected.toString('utf8'));
      });
    }
  });

  describe('when the input is plain JSON', () => {
    it('sorts members by UTF-16 code units and drops insignificant whitespace', () => {
      expect(
        canonicalize({ b: 1, a: [true, null, 'x'], '\u20ac': 0, '\ud83d\ude00': 1, A: 2 }),
      ).toBe('{"A":2,"a":[true,null,"x"],"b":1,"\u20ac":0,"\ud83d\ude00":1}');
    });

    it('serializes numbers the ECMAScript way', () => {
      expect(canonicalize([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333])).toBe(
        '[1e+21,1e-7,0,0.30000000000000004,333333333.3333333]',
      );
    });

    it('treats an own "__proto__" member (as JSON.parse makes it) as an ordinary member', () => {
      const parsed = JSON.parse('{"z":1,"__proto__":{"polluted":true}}') as object;
      expect(canonicalize(parsed)).toBe('{"__proto__":{"polluted":true},"z":1}');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('treats object members whose value is undefined as absent, like JSON.stringify', () => {
      expect(canonicalize({ a: 1, b: undefined })).toBe('{"a":1}');
    });
  });

  describe('when the input cannot be represented', () => {
    const cases: [string, unknown, string][] = [
      ['a lone high surrogate in a string', { a: ['ok', 'x\ud800'] }, '/a/1'],
      ['a lone low surrogate in a string', 'x\udc00y', ''],
      ['a lone surrogate in a member name', { '\udfff': 1 }, '/\udfff'],
      ['NaN', { n: Number.NaN }, '/n'],
      ['Infinity', [Number.POSITIVE_INFINITY], '/0'],
      ['-Infinity', { x: { y: Number.NEGATIVE_INFINITY } }, '/x/y'],
      ['a BigInt', { big: 10n }, '/big'],
      ['a function', { f: () => 1 }, '/f'],
      ['a symbol', { s: Symbol('s') }, '/s'],
      ['undefined in an array', [1, undefined], '/1'],
      ['a Date (class instance)', { when: new Date(0) }, '/when'],
      ['a Map', { m: new Map() }, '/m'],
      ['a Buffer', { b: Buffer.from('x') }, '/b'],
      ['an instance of a user class', { c: new (class Point {})() }, '/c'],
      ['a member name with "/" and "~" (pointer escaping)', { 'a/b~c': Number.NaN }, '/a~1b~0c'],
      ['a proxy', { p: new Proxy({}, {}) }, '/p'],
      [
        'an array with its own toJSON',
        { e: Object.assign(['rm -rf /'], { toJSON: () => ['ls'] }) },
        '/e',
      ],
      ['an array with its own map', { e: Object.assign([1], { map: () => ['"x"'] }) }, '/e'],
      ['an array subclass', { e: new (class Evil extends Array {})() }, '/e'],
      // eslint-disable-next-line no-sparse-arrays -- the hole is the point
      ['an array with holes', { e: [1, , 3] }, '/e'],
    ];
    for (const [what, value, pointer] of cases) {
      it(`rejects ${what} with not-canonicalizable at ${pointer || '/'}`, () => {
        const error = errorOf(() => canonicalize(value));
        expect(error).toBeInstanceOf(EtdiError);
        expect(error).toMatchObject({ code: 'not-canonicalizable', pointer });
      });
    }

    it('rejects a cycle, naming it as one', () => {
      const a: Record<string, unknown> = { x: 1 };
      a.self = { back: a };
      expect(() => canonicalize(a)).toThrowError(/circular reference/i);
      expect(() => canonicalize(a)).toThrowError(
        expect.objectContaining({ code: 'not-canonicalizable' }),
      );
    });

    it('rejects nesting past the depth limit without overflowing the stack', () => {
      let deep: unknown = 1;
      for (let i = 0; i < 100_000; i++) deep = [deep];
      expect(() => canonicalize(deep)).toThrowError(
        expect.objectContaining({ code: 'not-canonicalizable' }),
      );
    });

    it('accepts nesting exactly at the limit and rejects one level more', () => {
      const nest = (levels: number) => {
        let v: unknown = {};
        for (let i = 1; i < levels; i++) v = { v };
        return v;
      };
      expect(() => assertCanonicalizable(nest(5), { maxDepth: 5 })).not.toThrow();
      expect(() => assertCanonicalizable(nest(6), { maxDepth: 5 })).toThrowError(/deeper than 5/);
    });
  });
});
