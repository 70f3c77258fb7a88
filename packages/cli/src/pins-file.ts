import { compileSchema, formatIssues, MemoryPinStore, schemaIssues, type Pin } from '@etdi/core';
import Type, { type Static } from 'typebox';
import { CliError } from './errors.js';
import { parseJsonText, pathExists, readTextFile, writeFileAtomic } from './files.js';
import { formatJson } from './format.js';
import { resolve } from 'node:path';

/** One approved definition in a pins file (the fields of core's `Pin`). */
export const PinSchema = Type.Object(
  {
    iss: Type.String({ minLength: 1 }),
    sub: Type.String({ minLength: 1 }),
    ver: Type.String({ minLength: 1 }),
    dig: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
    perms: Type.Array(Type.String()),
    approvedAt: Type.String({ minLength: 1 }),
    kid: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** A pins file: `{"pins": [...]}`, the approvals `--pins` checks against. */
export const PinsFileSchema = Type.Object(
  { pins: Type.Array(PinSchema) },
  { additionalProperties: false },
);
/** The parsed pins file. */
export type PinsFile = Static<typeof PinsFileSchema>;

let validate: ReturnType<typeof compileSchema<PinsFile>> | undefined;

/**
 * Loads a pins file into a memory pin store. A file that does not exist yet is an empty store
 * (the first `--update-pins` run creates it); one that does not parse or fit the schema is a
 * configuration error naming the JSON pointer.
 */
export async function loadPins(file: string, cwd: string): Promise<MemoryPinStore> {
  const store = new MemoryPinStore();
  if (!(await pathExists(resolve(cwd, file)))) return store;
  const doc = parseJsonText(await readTextFile(file, cwd, 'pins file'), file);
  validate ??= compileSchema<PinsFile>(PinsFileSchema);
  if (!validate(doc)) {
    throw new CliError('invalid-config', formatIssues(file, schemaIssues(validate.errors)), {
      hint: 'A pins file is {"pins": [{"iss", "sub", "ver", "dig", "perms", "approvedAt"}, ...]}, as --update-pins writes it',
    });
  }
  const seen = new Set<string>();
  for (const [i, pin] of doc.pins.entries()) {
    const id = JSON.stringify([pin.iss, pin.sub]);
    if (seen.has(id)) {
      throw new CliError(
        'invalid-config',
        `${file}: /pins/${i}: a second pin for ${pin.iss}/${pin.sub}`,
        {
          hint: 'Keep one approved definition per tool',
        },
      );
    }
    seen.add(id);
    await store.set(pin as Pin);
  }
  return store;
}

/** Writes every pin of the store to `file`, sorted by provider and tool. */
export async function savePins(store: MemoryPinStore, file: string, cwd: string): Promise<number> {
  const pins = (await store.list()).sort((a, b) =>
    a.iss === b.iss ? (a.sub < b.sub ? -1 : 1) : a.iss < b.iss ? -1 : 1,
  );
  await writeFileAtomic(resolve(cwd, file), formatJson({ pins }));
  return pins.length;
}
