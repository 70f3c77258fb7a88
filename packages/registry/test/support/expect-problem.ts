import { expect } from 'vitest';

/** A response's status, problem+json media type and stable code; returns the problem. */
export function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
): Record<string, unknown> {
  expect({ status: res.statusCode, body: res.body }).toMatchObject({ status });
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(res.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code });
  expect(typeof problem.detail).toBe('string');
  return problem;
}
