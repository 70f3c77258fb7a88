import type { TSchema } from 'typebox';
import { ProblemSchema } from './schemas.js';

/** Problem responses of a route, for OpenAPI: every listed status answers with a problem. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of statuses) out[s] = ProblemSchema;
  return out;
}

/** The OpenAPI security requirement of a route that needs an API key. */
export const API_KEY = [{ apiKey: [] }];
