import { formUrlEncode } from '@etdi/core';
import { describe, expect, it } from 'vitest';
import { scrub } from '../src/http/scrub.js';

const SECRET = 'p@ss word+/=secret-123';

describe('scrub', () => {
  describe('when the server echoes a secret', () => {
    const forms: [string, string][] = [
      ['as is', SECRET],
      ['URL-encoded (encodeURIComponent)', encodeURIComponent(SECRET)],
      ['URL-encoded with lower-case hex', encodeURIComponent(SECRET).toLowerCase()],
      ['form-encoded (+ for space)', formUrlEncode(SECRET)],
      ['in a form body', new URLSearchParams({ client_secret: SECRET }).toString()],
      ['base64', Buffer.from(SECRET).toString('base64')],
      ['base64url', Buffer.from(SECRET).toString('base64url')],
      [
        'in a Basic credential (form-encoded, RFC 6749 §2.3.1)',
        Buffer.from(`etdi-gateway:${formUrlEncode(SECRET)}`).toString('base64'),
      ],
      ['in a Basic credential (as is)', Buffer.from(`client-x:${SECRET}`).toString('base64')],
      ['in a Basic credential (offset 2)', Buffer.from(`ab:${SECRET}`).toString('base64')],
    ];

    it.each(forms)('masks it %s', (_name, echoed) => {
      const out = scrub(`bad request: ${echoed} (end)`, [SECRET]);
      expect(out).toContain('****');
      expect(out).not.toContain(echoed);
      expect(out).toMatch(/^bad request: .*\(end\)$/);
      // Nothing longer than the visible tail of the mask survives of the secret.
      for (const part of ['p@ss', 'ss word', 'p%40ss', 'ss+word', 'cEBzcyB3b3']) {
        expect(out).not.toContain(part);
      }
    });
  });

  it('leaves other text alone', () => {
    expect(scrub('invalid_scope: tools:write not allowed', [SECRET])).toBe(
      'invalid_scope: tools:write not allowed',
    );
  });

  it('masks a secret that contains another one whole', () => {
    const out = scrub('token rt-abcdef-long-refresh', ['abcdef', 'rt-abcdef-long-refresh']);
    expect(out).not.toContain('rt-abc');
  });

  it('removes control characters and caps the length', () => {
    const out = scrub(`a\u0000b\nc${'x'.repeat(500)}`, []);
    expect(out.startsWith('a b c')).toBe(true);
    expect(out.length).toBe(201);
  });
});
