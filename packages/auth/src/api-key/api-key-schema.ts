import { compileSchema } from '@etdi/core';
import type { ApiKeyRecord } from './api-key-record.js';

const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

/** JSON Schema of an {@link ApiKeyPolicy}. */
export const apiKeyPolicySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rateLimits: {
      type: 'object',
      additionalProperties: false,
      properties: { perMinute: positiveInt, perHour: positiveInt, perDay: positiveInt },
    },
    allowedIps: strings,
    deniedIps: strings,
    allowedEndpoints: strings,
    blockedEndpoints: strings,
    allowedHours: {
      type: 'object',
      additionalProperties: false,
      required: ['timeZone', 'start', 'end'],
      properties: {
        timeZone: { type: 'string', minLength: 1 },
        start: { type: 'string' },
        end: { type: 'string' },
        days: {
          type: 'array',
          items: { enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
        },
      },
    },
  },
} as const;

/** JSON Schema of an {@link ApiKeyRecord} as stores hold it. */
export const apiKeyRecordSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['keyId', 'hash', 'userId', 'scopes', 'active', 'createdAt'],
  properties: {
    keyId: { type: 'string', pattern: '^[A-Za-z0-9_-]{4,64}$' },
    hash: { type: 'string', pattern: '^(sha256|hmac-sha256):[A-Za-z0-9_-]{43}$' },
    userId: { type: 'string', minLength: 1 },
    projectId: { type: 'string', minLength: 1 },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    roles: { type: 'array', items: { type: 'string' } },
    active: { type: 'boolean' },
    createdAt: { type: 'number' },
    expiresAt: { type: 'number' },
    policy: apiKeyPolicySchema,
  },
} as const;

/** Records read back from a shared store are a trust boundary: validate before use. */
export const validateApiKeyRecord = compileSchema<ApiKeyRecord>(apiKeyRecordSchema);
