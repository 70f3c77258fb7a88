import { describe, expect, it } from 'vitest';
import { findDuplicateMember } from '@etdi/core';

describe('findDuplicateMember', () => {
  it.each([
    ['{"a":1,"b":2}', undefined],
    ['[{"a":1},{"a":2}]', undefined],
    ['{"a":{"x":1},"b":{"x":1}}', undefined],
    ['{"a":"\\"a\\":1,","b":1}', undefined],
    ['{"a":1,"a":2}', '/a'],
    ['{"a":1,"\\u0061":2}', '/a'],
    ['{"x":[0,{"k":1,"k":1}]}', '/x/1/k'],
    ['{"a/b":{"~":1,"~":2}}', '/a~1b/~0'],
    ['{"":1,"":2}', '/'],
    ['  [ "a" , { "p" : [ ] , "p" : { } } ] ', '/1/p'],
  ])('%s → %s', (text, pointer) => {
    JSON.parse(text);
    expect(findDuplicateMember(text)).toBe(pointer);
  });

  it('walks very deep documents without exhausting the stack', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(findDuplicateMember(deep)).toBeUndefined();
  });
});
