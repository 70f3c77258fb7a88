import { describe, expect, it } from 'vitest';
import { inspectServerUrl, isLoopbackHost } from '@etdi/core';

describe('inspectServerUrl', () => {
  it.each([
    ['https://as.example.com/token', {}],
    ['http://127.0.0.1:8080/token', { allowLoopbackHttp: true }],
    ['http://localhost/jwks', { allowLoopbackHttp: true }],
    ['http://[::1]:9/x', { allowLoopbackHttp: true }],
    ['http://as.example.com/token', { requireHttps: false }],
  ] as const)('accepts %s with %o', (url, options) => {
    expect(inspectServerUrl(url, options)).toMatchObject({ ok: true });
  });

  it.each([
    ['not a url', {}, 'not-a-url'],
    ['ftp://as.example.com/token', {}, 'not-http'],
    ['https://user:pw@as.example.com/token', {}, 'credentials'],
    ['https://as.example.com/token#x', { refuseFragment: true }, 'fragment'],
    ['http://as.example.com/token', {}, 'insecure-http'],
    ['http://as.example.com/token', { allowLoopbackHttp: true }, 'insecure-http'],
    ['http://127.0.0.1/token', {}, 'insecure-http'],
    ['http://127.0.0.1.evil.com/token', { allowLoopbackHttp: true }, 'insecure-http'],
  ] as const)('refuses %s with %o as %s', (url, options, problem) => {
    expect(inspectServerUrl(url, options)).toMatchObject({ ok: false, problem });
  });

  it('says whether a refused http URL is on loopback, for the hint', () => {
    expect(inspectServerUrl('http://127.0.0.1/t')).toMatchObject({ loopback: true });
    expect(inspectServerUrl('http://example.com/t')).toMatchObject({ loopback: false });
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['api.localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['localhost.evil.com', false],
    ['128.0.0.1', false],
    ['[::2]', false],
  ] as const)('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
