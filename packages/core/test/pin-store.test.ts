import { describe, expect, it } from 'vitest';
import { checkPin, MemoryPinStore, type Pin } from '@etdi/core';
import { pinStoreContract } from '@etdi/core/testing';

pinStoreContract('MemoryPinStore', { create: () => new MemoryPinStore() });

describe('checkPin', () => {
  const pin: Pin = {
    iss: 'i',
    sub: 's',
    ver: '1.2.0',
    dig: 'D',
    perms: ['a', 'b'],
    approvedAt: 'x',
  };
  it.each([
    [
      'no pin',
      undefined,
      { ver: '0.0.1', dig: 'X', perms: ['z'] },
      { ok: true, action: 'first-use' },
    ],
    [
      'the pinned definition',
      pin,
      { ver: '1.2.0', dig: 'D', perms: ['a', 'b'] },
      { ok: true, action: 'unchanged' },
    ],
    [
      'same version, other digest',
      pin,
      { ver: '1.2.0', dig: 'E', perms: ['a', 'b'] },
      { ok: false, reason: 'rug-pull' },
    ],
    [
      'same version, fewer perms',
      pin,
      { ver: '1.2.0', dig: 'D', perms: ['a'] },
      { ok: false, reason: 'rug-pull' },
    ],
    [
      'older version',
      pin,
      { ver: '1.1.9', dig: 'D', perms: ['a', 'b'] },
      { ok: false, reason: 'rollback' },
    ],
    [
      'prerelease of the pinned version',
      pin,
      { ver: '1.2.0-rc.1', dig: 'E', perms: [] },
      { ok: false, reason: 'rollback' },
    ],
    [
      'newer version, wider perms',
      pin,
      { ver: '1.3.0', dig: 'E', perms: ['a', 'b', 'c'] },
      { ok: false, reason: 'reapproval-required' },
    ],
    [
      'newer version, same perms',
      pin,
      { ver: '2.0.0', dig: 'E', perms: ['a', 'b'] },
      { ok: true, action: 'upgrade' },
    ],
    [
      'newer version, fewer perms',
      pin,
      { ver: '1.2.1', dig: 'E', perms: [] },
      { ok: true, action: 'upgrade' },
    ],
  ] as const)('%s', (_l, p, subject, expected) => {
    expect(checkPin(p, subject)).toMatchObject(expected);
  });
});
