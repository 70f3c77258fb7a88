import { schemaIssues } from '@etdi/core';
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance } from 'fastify';
import { RegistryError } from '../errors.js';
import type { RegistryMetrics } from './metrics.js';
import { problemOf, sendProblem, type Problem, type ProblemCode } from './problem.js';

const PARTS: Record<string, string> = {
  body: 'request body',
  querystring: 'query',
  params: 'path',
  headers: 'headers',
};

function validationProblem(error: FastifyError): Problem {
  const context = (error as { validationContext?: string }).validationContext ?? 'body';
  const issues = schemaIssues(error.validation as ErrorObject[]);
  const where = PARTS[context] ?? context;
  const text = issues.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ');
  return problemOf(400, 'invalid-request', `Invalid ${where}: ${text}`, {
    in: context === 'querystring' ? 'query' : context === 'params' ? 'path' : context,
    ...(issues[0] ? { pointer: issues[0].pointer } : {}),
    errors: issues,
  });
}

/** The problem a thrown error answers with. */
function problemFor(error: FastifyError | RegistryError | Error): Problem {
  if (error instanceof RegistryError) {
    return problemOf(error.status, error.code, error.message, {
      ...(error.pointer === undefined ? {} : { pointer: error.pointer }),
      ...error.details,
    });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return validationProblem(fastifyError);
  const status = fastifyError.statusCode;
  if (status === 413) {
    return problemOf(413, 'payload-too-large', `${error.message}; send a smaller request`);
  }
  if (status === 415) {
    return problemOf(
      415,
      'unsupported-media-type',
      'Send the request body as JSON with "Content-Type: application/json"',
    );
  }
  if (status === 429) return problemOf(429, 'rate-limited', error.message);
  if (status !== undefined && status >= 400 && status < 500) {
    const code: ProblemCode = fastifyError.code?.startsWith('FST_ERR_CTP')
      ? 'invalid-json'
      : 'invalid-request';
    return problemOf(status, code, error.message);
  }
  return problemOf(500, 'internal-error', 'The registry failed unexpectedly; the error is logged');
}

/**
 * Every error and every unknown route answers with an RFC 9457 problem carrying a stable
 * `code`: the registry's own errors, schema violations (400 naming each member), Fastify's body
 * errors (413, 415, malformed JSON), rate limiting (429) and unexpected failures (500, logged,
 * never described to the client).
 */
export function problemResponses(app: FastifyInstance, metrics: RegistryMetrics): void {
  app.setErrorHandler((error: FastifyError | RegistryError, request, reply) => {
    const problem = problemFor(error);
    if (problem.status >= 500) {
      request.log.error({ err: error, code: problem.code }, 'request failed');
    }
    metrics.problem(problem.code);
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) => {
    metrics.problem('not-found');
    return sendProblem(
      reply,
      problemOf(404, 'not-found', `No route ${request.method} ${request.url.split('?')[0]}`),
    );
  });
}
