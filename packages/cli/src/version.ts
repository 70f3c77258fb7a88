import { readFileSync } from 'node:fs';

/**
 * The package version, read from package.json at run time so `etdi --version` can never drift
 * from what was published. The path works from both `src/` and `dist/`.
 */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}
