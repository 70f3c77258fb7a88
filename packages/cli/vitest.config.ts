import { defineProject, mergeConfig } from 'vitest/config';
import { baseConfig } from '../../vitest.shared.js';

// globalSetup builds the CLI once per run: the tests run dist/bin.js as a subprocess.
export default mergeConfig(
  baseConfig,
  defineProject({ test: { name: 'cli', globalSetup: ['./test/global-setup.ts'] } }),
);
