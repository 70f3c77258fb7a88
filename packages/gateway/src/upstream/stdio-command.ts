import type { SchemaIssue } from '@etdi/core';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { GatewayConfig } from '../config/gateway-config.js';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether each stdio upstream's `command` can be run: a path names an executable file, a bare
 * name is found in the `PATH` the child will get (its configured `env.PATH`, else the
 * gateway's). One issue per command that cannot, at `/upstreams/<name>/command`. For
 * `etdi-gateway --check` and a warning at start-up; spawning would fail with ENOENT later.
 */
export function stdioCommandIssues(
  config: GatewayConfig,
  parentEnv: Readonly<Record<string, string | undefined>> = process.env,
): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const upstream of config.upstreams.values()) {
    const stdio = upstream.stdio;
    if (!stdio) continue;
    const pointer = `/upstreams/${upstream.name}/command`;
    const { command } = stdio;
    if (isAbsolute(command) || /[\\/]/.test(command)) {
      if (!executable(resolve(stdio.cwd, command))) {
        issues.push({ pointer, message: `${command} is not an executable file` });
      }
      continue;
    }
    const path = stdio.env.PATH ?? parentEnv.PATH ?? '';
    const found = path
      .split(delimiter)
      .filter((dir) => dir !== '')
      .some((dir) => executable(join(dir, command)));
    if (!found) {
      issues.push({ pointer, message: `${command} is not found in the PATH the child gets` });
    }
  }
  return issues;
}
