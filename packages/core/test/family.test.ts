import { describe, expect, it } from 'vitest';
import {
  CodedError,
  codeGuard,
  compileSchema,
  createConsoleLogger,
  defineCodes,
  ETDI_ERROR_CODES,
  EtdiError,
  formatIssues,
  isEtdiErrorCode,
  missingScopes,
  parseScope,
  REASON_CODES,
  redactingLogger,
  schemaIssues,
  type Logger,
  basicClientAuthorization,
  formUrlEncode,
  pemCertificates,
} from '@etdi/core';

describe('CodedError', () => {
  const CODES = defineCodes(['bad-thing', 'internal-error']);
  class WidgetError extends CodedError<(typeof CODES)[number]> {
    override readonly name = 'WidgetError';
  }

  it('carries code, pointer, cause and name, and logs without a stack', () => {
    const cause = new Error('underneath');
    const e = new WidgetError('bad-thing', 'the thing is bad', { pointer: '/a/b', cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'WidgetError', code: 'bad-thing', pointer: '/a/b', cause });
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      name: 'WidgetError',
      code: 'bad-thing',
      message: 'the thing is bad',
      pointer: '/a/b',
    });
  });

  it('lists every issue, locates itself at the first, and logs them when there are several', () => {
    const issues = [
      { pointer: '/a', message: 'is wrong' },
      { pointer: '/b', message: 'is missing' },
    ];
    const e = new WidgetError('bad-thing', 'two problems', { issues });
    expect(e.pointer).toBe('/a');
    expect(e.issues).toEqual(issues);
    expect(e.toJSON().issues).toEqual(issues);
    const one = new WidgetError('bad-thing', 'one problem', { pointer: '/c' });
    expect(one.issues).toEqual([{ pointer: '/c', message: 'one problem' }]);
    expect(one.toJSON()).not.toHaveProperty('issues');
    expect(new WidgetError('bad-thing', 'nowhere').issues).toEqual([]);
  });

  it('derives its closed union and guard from one frozen array', () => {
    expect(Object.isFrozen(CODES)).toBe(true);
    const isCode = codeGuard(CODES);
    expect(isCode('bad-thing')).toBe(true);
    expect(isCode('Bad-Thing')).toBe(false);
    expect(isCode(7)).toBe(false);
  });

  it('EtdiError codes are every reason code plus the local ones, internal-error included', () => {
    for (const r of REASON_CODES) expect(ETDI_ERROR_CODES).toContain(r);
    expect(isEtdiErrorCode('internal-error')).toBe(true);
    expect(new EtdiError('invalid-key', 'x')).toBeInstanceOf(CodedError);
  });
});

describe('parseScope', () => {
  it('splits a space-delimited scope string, dropping empties and duplicates', () => {
    expect(parseScope('a  b a c')).toEqual(['a', 'b', 'c']);
    expect(parseScope('')).toEqual([]);
  });
  it('takes an array of strings', () => {
    expect(parseScope(['x', 'y', 'x'])).toEqual(['x', 'y']);
  });
  it('grants nothing for a malformed claim', () => {
    expect(parseScope(['x', 3])).toEqual([]);
    expect(parseScope({ scope: 'x' })).toEqual([]);
    expect(parseScope(undefined)).toEqual([]);
  });
});

describe('missingScopes', () => {
  it('lists the required scopes not granted, in the order required', () => {
    expect(missingScopes(['b'], ['c', 'b', 'a'])).toEqual(['c', 'a']);
    expect(missingScopes(new Set(['a', 'b']), ['a', 'b'])).toEqual([]);
    expect(missingScopes([], [])).toEqual([]);
  });
  it('compares exactly: no case folding, no prefixes', () => {
    expect(missingScopes(['Files:Read', 'files'], ['files:read'])).toEqual(['files:read']);
  });
});

describe('Logger', () => {
  function recorder() {
    const lines: [string, Record<string, unknown>, string][] = [];
    const logger: Logger = {
      debug: (f, m) => lines.push(['debug', { ...f }, m]),
      info: (f, m) => lines.push(['info', { ...f }, m]),
      warn: (f, m) => lines.push(['warn', { ...f }, m]),
      error: (f, m) => lines.push(['error', { ...f }, m]),
    };
    return { lines, logger };
  }

  it('redactingLogger masks secret-looking fields at any depth, keeping the message', () => {
    const { lines, logger } = recorder();
    redactingLogger(logger).warn(
      { apiKey: 'abcdefghijklmnop', nested: { clientSecret: 'supersecretvalue' }, ok: 'shown' },
      'hello',
    );
    expect(lines).toEqual([
      ['warn', { apiKey: '****mnop', nested: { clientSecret: '****alue' }, ok: 'shown' }, 'hello'],
    ]);
  });

  it('redactingLogger skips lines of disabled levels', () => {
    const { lines, logger } = recorder();
    redactingLogger({ ...logger, isLevelEnabled: (l) => l !== 'debug' }).debug({}, 'dropped');
    expect(lines).toEqual([]);
  });

  it('createConsoleLogger writes one JSON line per event at or above its level', () => {
    const out: string[] = [];
    const logger = createConsoleLogger({ level: 'info', stream: { write: (c) => out.push(c) } });
    logger.debug({ a: 1 }, 'no');
    logger.info({ token: 'abcdefghijkl' }, 'yes');
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ level: 'info', msg: 'yes', token: '****ijkl' });
  });
});

describe('schemaIssues', () => {
  const validate = compileSchema<{ a: string }>({
    type: 'object',
    properties: { a: { type: 'string' }, b: { enum: ['x', 'y'] } },
    required: ['a'],
    additionalProperties: false,
  });

  it('names every offending member by JSON pointer', () => {
    expect(validate({ c: 1, b: 'z' })).toBe(false);
    const issues = schemaIssues(validate.errors, '/cfg');
    expect(issues).toEqual(
      expect.arrayContaining([
        { pointer: '/cfg/c', message: 'unknown key "c"' },
        { pointer: '/cfg/a', message: 'missing required key "a"' },
        { pointer: '/cfg/b', message: 'must be one of "x", "y"' },
      ]),
    );
    expect(formatIssues('config', issues.slice(0, 1))).toMatch(/^config: \/cfg\/\w: /);
  });
});

describe('basicClientAuthorization', () => {
  it('form-encodes id and secret before base64 (RFC 6749 §2.3.1)', () => {
    const header = basicClientAuthorization('my client', 'a+b:c/d');
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    expect(header.startsWith('Basic ')).toBe(true);
    expect(decoded).toBe('my+client:a%2Bb%3Ac%2Fd');
    expect(formUrlEncode('é ~*')).toBe('%C3%A9+%7E*');
  });
});

describe('pemCertificates', () => {
  const block = (n: number) => `-----BEGIN CERTIFICATE-----\nAAA${n}\n-----END CERTIFICATE-----`;
  it('splits a bundle into its certificate blocks, ignoring the text around them', () => {
    expect(pemCertificates(`subject=x\n${block(1)}\n\n${block(2)}\n`)).toEqual([
      block(1),
      block(2),
    ]);
    expect(pemCertificates([block(1), block(3)])).toEqual([block(1), block(3)]);
    expect(pemCertificates(undefined)).toEqual([]);
    expect(pemCertificates('no certificate here')).toEqual([]);
  });
});
