import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

/**
 * Shared vitest configuration: every workspace package extends it in one line.
 * Tests import `@etdi/*` from source, so they never depend on a stale build.
 */
export const baseConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@etdi\/([a-z]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
      { find: /^@etdi\/([a-z]+)\/testing$/, replacement: `${packagesDir}$1/src/testing/index.ts` },
    ],
  },
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ['test/**/*.test.ts'],
  },
});

export default baseConfig;
