import { errorMessage } from '@etdi/core';
import { RegistryError } from '../errors.js';

/**
 * Wraps a database failure: `store-unavailable` (503) when the database cannot be reached or
 * cannot take the write now (connection lost, server shutting down, disk full, locked past the
 * busy timeout), `internal-error` otherwise (a bug: a statement the schema refuses).
 */
export function storeError(error: unknown, unavailable: boolean): RegistryError {
  if (error instanceof RegistryError) return error;
  return unavailable
    ? new RegistryError(
        'store-unavailable',
        `The registry store is unavailable: ${errorMessage(error)}`,
        {
          cause: error,
        },
      )
    : new RegistryError('internal-error', `The registry store failed: ${errorMessage(error)}`, {
        cause: error,
      });
}
