import { EtdiError } from '@etdi/core';

/** The EtdiError `run` throws (or rejects with); fails the test if it succeeds or throws another kind. */
export async function etdiErrorOf(run: () => unknown): Promise<EtdiError> {
  try {
    await run();
  } catch (e) {
    if (e instanceof EtdiError) return e;
    throw e;
  }
  throw new Error('expected an EtdiError');
}

/** The synchronous form of {@link etdiErrorOf}. */
export function errorOf(run: () => unknown): EtdiError {
  try {
    run();
  } catch (e) {
    if (e instanceof EtdiError) return e;
    throw e;
  }
  throw new Error('expected an EtdiError');
}
