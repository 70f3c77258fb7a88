import { readFile } from 'node:fs/promises';
import { findDuplicateMember } from '@etdi/core';

/** A JSON document read from a file or the wire, or why it could not be used. */
export type JsonDocument =
  | { readonly ok: true; readonly text: string; readonly value: unknown }
  | { readonly ok: false; readonly error: string };

/**
 * Parses JSON text strictly: a repeated member name anywhere is refused (JSON.parse would keep
 * the last one, another reader the first: a signature or a key must never depend on which).
 */
export function parseJsonDocument(text: string, what: string): JsonDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `${what} is not JSON: ${(e as Error).message}` };
  }
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) {
    return { ok: false, error: `${what} repeats the member ${duplicate}; remove one of them` };
  }
  return { ok: true, text, value };
}

/** Reads and parses a JSON file (see {@link parseJsonDocument}); never throws. */
export async function readJsonDocument(path: string): Promise<JsonDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return {
      ok: false,
      error: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    };
  }
  return parseJsonDocument(text, path);
}
