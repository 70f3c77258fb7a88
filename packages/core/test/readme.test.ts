import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
// Inside the package, so that bare imports (typebox) resolve as they would for a user.
const dir = fileURLToPath(new URL(`./.readme-examples-${process.pid}/`, import.meta.url));

/** The README's runnable examples: each ```ts block marked `<!-- example: name -->`. */
const examples = [...readme.matchAll(/<!-- example: ([a-z-]+) -->\s*```ts\n([\s\S]*?)```/g)].map(
  (m) => ({ name: m[1]!, code: m[2]! }),
);

describe('README examples', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are there, one per seam', () => {
    expect(examples.map((e) => e.name)).toEqual([
      'verifier-update',
      'pins-get-many',
      'schemas',
      'coded-error',
      'logger',
      'validation',
      'scopes',
      'env-references',
      'attested',
    ]);
  });

  for (const { name, code } of examples) {
    it(`${name} runs as written (its assertions hold)`, async () => {
      mkdirSync(dir, { recursive: true });
      const file = `${dir}${name}.ts`;
      writeFileSync(file, code);
      await expect(import(file)).resolves.toBeDefined();
    });
  }
});
