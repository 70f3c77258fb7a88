import { readFileSync } from 'node:fs';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** The package's version: `etdi-gateway --version`, and `clientInfo` / `serverInfo` on MCP. */
export const GATEWAY_VERSION = readVersion();
