import { compileSchema } from '@etdi/core';
import { AUTH_METHODS } from '../status.js';
import type { AuthSession } from './session-store.js';

const stringArray = { type: 'array', items: { type: 'string' } } as const;

/** Sessions read back from a shared store are a trust boundary: validate before use. */
export const validateSession = compileSchema<AuthSession>({
  type: 'object',
  additionalProperties: false,
  required: ['id', 'provider', 'method', 'permissions', 'roles', 'createdAt', 'expiresAt'],
  properties: {
    id: { type: 'string' },
    provider: { type: 'string' },
    method: { enum: [...AUTH_METHODS] },
    userId: { type: 'string' },
    projectId: { type: 'string' },
    permissions: stringArray,
    roles: stringArray,
    createdAt: { type: 'number' },
    expiresAt: { type: 'number' },
    data: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
  },
});
