import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/**
 * The CLI tests run the built binary, as users do. Building here (incrementally: a no-op when
 * dist is current) means a test run never exercises a stale build, whether or not `pnpm build`
 * ran first.
 */
export default function setup(): void {
  const tsc = createRequire(`${root}package.json`).resolve('typescript/bin/tsc');
  try {
    // The registry too: the registry command tests start its bin as a real process.
    execFileSync(process.execPath, [tsc, '-b', 'packages/cli', 'packages/registry'], {
      cwd: root,
      stdio: 'pipe',
      timeout: 300_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      'The CLI tests run packages/cli/dist/bin.js and packages/registry/dist/bin.js, but ' +
        '`tsc -b packages/cli packages/registry` failed. Fix the ' +
        `build, then rerun:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`,
      { cause: error },
    );
  }
  if (!existsSync(bin)) {
    throw new Error(`The build finished but ${bin} is missing: check packages/cli/package.json`);
  }
}
