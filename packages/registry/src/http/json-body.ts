import { findDuplicateMember } from '@etdi/core';
import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../errors.js';

/**
 * Deeper than any tool can be (core refuses tools nested deeper than 64) plus the envelope:
 * refused before parsing, so a body of a million `[` costs a scan, not a stack.
 */
export const MAX_JSON_DEPTH = 100;

/** The nesting depth a JSON text reaches, counted outside strings; stops past `limit`. */
function depthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Parses a JSON request body strictly: I-JSON (a member name repeated in one object is refused,
 * naming its pointer: parsers disagree on which value counts), nesting bounded, and otherwise
 * exactly `JSON.parse`, so `JSON.stringify` of a tool gives back the tool as it was sent.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0)
    throw new RegistryError('invalid-json', 'The request body is empty; send a JSON document');
  if (depthExceeds(text, MAX_JSON_DEPTH)) {
    throw new RegistryError(
      'invalid-json',
      `The request body is nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new RegistryError(
      'invalid-json',
      `The request body is not JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) {
    throw new RegistryError(
      'duplicate-member',
      `The request body repeats the member ${duplicate}; a JSON object may name a member once`,
      { pointer: duplicate },
    );
  }
  return value;
}

/**
 * Makes JSON the only request body the app accepts (anything else is 415), parsed by
 * {@link parseJsonBody} within `bodyLimitBytes` (past it: 413).
 */
export function acceptJsonBodies(app: FastifyInstance, bodyLimitBytes: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: bodyLimitBytes },
    (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}
