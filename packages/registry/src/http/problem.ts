import type { AuthFailureCode } from '@etdi/auth';
import type { FastifyReply } from 'fastify';
import type { RegistryErrorCode } from '../errors.js';

/** A stable `code` of a problem response: the registry's own, or @etdi/auth's refusal code. */
export type ProblemCode = RegistryErrorCode | AuthFailureCode;

/** The media type of every error response (RFC 9457). */
export const PROBLEM_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An RFC 9457 problem with the registry's extension members. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** Stable, machine-readable: switch on it, never on `detail`. */
  readonly code: ProblemCode;
  readonly instance?: string;
  /** JSON pointer of the member of the request the problem is about. */
  readonly pointer?: string;
  readonly [extension: string]: unknown;
}

/** The problem document for a status and code. */
export function problemOf(
  status: number,
  code: ProblemCode,
  detail: string,
  extra: Readonly<Record<string, unknown>> = {},
): Problem {
  return {
    type: `https://etdi.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
  };
}

/** Sends a problem: the status, `application/problem+json`, `no-store`. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .header('content-type', `${PROBLEM_TYPE}; charset=utf-8`)
    .header('cache-control', 'no-store')
    .send(JSON.stringify({ ...problem, instance: reply.request.url }));
}
