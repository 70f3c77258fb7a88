import { Registry } from 'prom-client';
import type { TrustJwks } from '@etdi/core';
import type { PinsConfig, TrustConfig } from '../../../src/guard/config-schema.js';
import {
  createToolGuard,
  type CreateToolGuardOptions,
  type GatewayToolGuard,
} from '../../../src/guard/create-tool-guard.js';
import { captureLogger, tempDir, testClock, writeJson } from './fixtures.js';

export interface GuardSetup {
  readonly guard: GatewayToolGuard;
  readonly dir: string;
  readonly logger: ReturnType<typeof captureLogger>;
  readonly clock: ReturnType<typeof testClock>;
  readonly metrics: Registry;
  cleanup(): Promise<void>;
}

export interface GuardSetupOptions {
  /** Written to `<dir>/trust.jwks.json` and configured as `trust.jwks`. */
  readonly jwks?: TrustJwks;
  /** Other trust members (`jwks` here is added to the written file). */
  readonly trust?: Partial<TrustConfig>;
  readonly pins?: PinsConfig;
  /** Upstream `files` by default, enforcing for `com.acme`. */
  readonly upstreams?: Record<string, { mode?: 'enforce' | 'report'; providers: string[] }>;
  /** Files to write into the directory first (name → JSON value). */
  readonly files?: Record<string, unknown>;
  readonly options?: Partial<CreateToolGuardOptions>;
  /** The clock the guard runs on (shared with a test registry, say). */
  readonly clock?: ReturnType<typeof testClock>;
}

/** A guard over real files in a temporary directory, with a capturing logger and a test clock. */
export async function guardWith(setup: GuardSetupOptions): Promise<GuardSetup> {
  const { dir, cleanup } = await tempDir();
  for (const [name, value] of Object.entries(setup.files ?? {})) {
    await writeJson(`${dir}/${name}`, value);
  }
  const jwksFiles = [...(setup.trust?.jwks ?? [])];
  if (setup.jwks) {
    await writeJson(`${dir}/trust.jwks.json`, setup.jwks);
    jwksFiles.unshift('trust.jwks.json');
  }
  const logger = captureLogger();
  const clock = setup.clock ?? testClock();
  const metrics = new Registry();
  let guard: GatewayToolGuard;
  try {
    guard = await createToolGuard(
      {
        trust: { ...setup.trust, ...(jwksFiles.length > 0 ? { jwks: jwksFiles } : {}) },
        ...(setup.pins ? { pins: setup.pins } : {}),
        upstreams: setup.upstreams ?? { files: { mode: 'enforce', providers: ['com.acme'] } },
      },
      {
        baseDir: dir,
        logger,
        metrics,
        now: clock.now,
        watchFiles: false,
        filePollIntervalMs: 0,
        ...setup.options,
      },
    );
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    guard,
    dir,
    logger,
    clock,
    metrics,
    async cleanup() {
      await guard.close();
      await cleanup();
    },
  };
}

/** The context of a call through upstream `files`. */
export const ctx = { upstream: 'files', sessionId: 'session-1', principal: 'alice' } as const;
