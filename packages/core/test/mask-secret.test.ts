import { describe, expect, it } from 'vitest';
import { maskSecret } from '@etdi/core';

describe('maskSecret', () => {
  it('keeps only the last characters', () => {
    expect(maskSecret('my-secret-key-12345', 4)).toBe('****2345');
  });
  it('masks short secrets completely', () => {
    expect(maskSecret('abc1234', 4)).toBe('****');
    expect(maskSecret('abcd1234', 4)).toBe('****1234');
  });
  it('never reveals the length', () => {
    expect(maskSecret('x'.repeat(100) + 'tail', 4)).toBe('****tail');
  });
  it('returns empty for nothing', () => {
    expect(maskSecret('')).toBe('');
    expect(maskSecret(undefined)).toBe('');
  });
});
