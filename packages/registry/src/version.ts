import { readFileSync } from 'node:fs';

/** The package version, read from package.json (the path works from `src/` and `dist/`). */
export function registryVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}
