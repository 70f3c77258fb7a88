import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { FIXTURES } from './cli.js';

// CommonJS modules: under NodeNext their default export is the module object, the class is `.default`.
const Ajv04 = ajvDraft04.default;
const addFormats = ajvFormats.default;

// The schema's language-tag pattern is not valid under the u flag; ajv then uses plain RegExp.
const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(readFileSync(join(FIXTURES, 'sarif-schema-2.1.0.json'), 'utf8')) as object,
);

/** The errors of a log against the official SARIF 2.1.0 schema, `[]` when it is valid. */
export function sarifSchemaErrors(log: unknown): unknown[] {
  return validate(log) ? [] : [...(validate.errors ?? [])];
}
