import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { REASON_CODES } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, etdi, etdiInProcess, readJson, tempDir, writeJson } from './support/cli.js';
import { sarifSchemaErrors } from './support/sarif.js';

type Doc = { tools: Record<string, unknown>[]; [k: string]: unknown };

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ dir, remove } = await tempDir());
  const cwd = dir;
  await etdiInProcess(['keygen', '--iss', 'com.example', '--out', 'keys'], { cwd });
  await etdiInProcess(
    ['sign', CORPUS, '--key', 'keys/private.jwk', '--ver', '1.0.0', '--out', 'signed'],
    { cwd },
  );
  // Two rejections in one file: a tampered description (tools/3) and an unsigned tool (tools/5).
  const list = await readJson<Doc>(join(dir, 'signed', 'memory.json'));
  list.tools[3]!.description = 'Also send <everything> & "more"';
  delete list.tools[5]!._meta;
  await writeJson(join(dir, 'memory.json'), list);
});
afterAll(() => remove());

const run = (format: string) =>
  etdi(
    [
      'verify',
      'memory.json',
      'signed/sequential-thinking.json',
      '--jwks',
      'keys/jwks.json',
      '--format',
      format,
    ],
    {
      cwd: dir,
    },
  );

interface SarifLog {
  version: string;
  runs: {
    tool: { driver: { name: string; rules: { id: string; help: { text: string } }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: {
        physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } };
      }[];
    }[];
  }[];
}

describe('etdi verify --format sarif', () => {
  it('is a SARIF 2.1.0 log valid against the official schema, one result per rejection', async () => {
    const r = await run('sarif');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const log = JSON.parse(r.stdout) as SarifLog;
    expect(sarifSchemaErrors(log)).toEqual([]);

    expect(log.version).toBe('2.1.0');
    const [sarifRun] = log.runs;
    expect(sarifRun!.tool.driver.name).toBe('etdi');
    // One rule per reason code, in check order, each with help text.
    expect(sarifRun!.tool.driver.rules.map((x) => x.id)).toEqual([...REASON_CODES]);
    for (const rule of sarifRun!.tool.driver.rules)
      expect(rule.help.text.length).toBeGreaterThan(20);

    const results = sarifRun!.results;
    expect(results.map((x) => x.ruleId)).toEqual(['digest-mismatch', 'unsigned']);
    for (const x of results) {
      expect(x.level).toBe('error');
      expect(REASON_CODES[x.ruleIndex]).toBe(x.ruleId);
      expect(x.locations[0]!.physicalLocation.artifactLocation.uri).toBe('memory.json');
    }
    // Each result points at the line where its tool starts in the file.
    const text = await import('node:fs/promises').then((fs) =>
      fs.readFile(join(dir, 'memory.json'), 'utf8'),
    );
    const lines = text.split('\n');
    const list = JSON.parse(text) as Doc;
    for (const [x, index] of [
      [results[0]!, 3],
      [results[1]!, 5],
    ] as const) {
      const line = x.locations[0]!.physicalLocation.region!.startLine;
      // The tool object opens on that line, and its name is the first member after it.
      expect(lines[line - 1]!.trim()).toBe('{');
      expect(lines[line]!).toContain(JSON.stringify(list.tools[index]!.name));
      expect(x.message.text).toContain(String(list.tools[index]!.name));
    }
  });

  it('has no results and exit 0 when every tool is valid', async () => {
    const r = await etdi(['verify', 'signed', '--jwks', 'keys/jwks.json', '--format', 'sarif'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as SarifLog).runs[0]!.results).toEqual([]);
  });
});

describe('etdi verify --format junit', () => {
  it('is JUnit XML: one suite per file, one test case per tool, a failure typed by reason', async () => {
    const r = await run('junit');
    expect(r.code).toBe(1);
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (n) => ['testsuite', 'testcase'].includes(n),
    });
    const xml = parser.parse(r.stdout) as {
      testsuites: {
        tests: string;
        failures: string;
        testsuite: {
          name: string;
          tests: string;
          failures: string;
          testcase: {
            name: string;
            classname: string;
            failure?: { type: string; message: string; '#text': string };
          }[];
        }[];
      };
    };
    const { testsuites } = xml;
    expect(testsuites).toMatchObject({ tests: '10', failures: '2' });
    expect(testsuites.testsuite.map((s) => [s.name, s.tests, s.failures])).toEqual([
      ['memory.json', '9', '2'],
      ['signed/sequential-thinking.json', '1', '0'],
    ]);
    const list = await readJson<Doc>(join(dir, 'memory.json'));
    const cases = testsuites.testsuite[0]!.testcase;
    expect(cases.map((c) => c.name)).toEqual(list.tools.map((t) => t.name));
    const failed = cases.filter((c) => c.failure);
    expect(failed.map((c) => [c.name, c.failure!.type])).toEqual([
      [list.tools[3]!.name, 'digest-mismatch'],
      [list.tools[5]!.name, 'unsigned'],
    ]);
    expect(failed[0]!.failure!.message).toMatch(/^digest-mismatch: /);
  });

  it('escapes markup and control characters from tool names', async () => {
    await writeJson(join(dir, 'evil.json'), [
      { name: 'a<b>&"c"\u0001\u001b[2K', inputSchema: { type: 'object' } },
    ]);
    const r = await etdi(['verify', 'evil.json', '--jwks', 'keys/jwks.json', '--format', 'junit'], {
      cwd: dir,
    });
    expect(r.code).toBe(1);
    // eslint-disable-next-line no-control-regex -- asserting no control character is printed
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      r.stdout,
    ) as {
      testsuites: { testsuite: { testcase: { name: string; failure: { type: string } } } };
    };
    expect(parsed.testsuites.testsuite.testcase.name).toBe('a<b>&"c"\\u{1}\\u{1b}[2K');
    expect(parsed.testsuites.testsuite.testcase.failure.type).toBe('schema-invalid');
  });
});
