/**
 * A stdio child's stderr in the gateway's log never carries a configured secret, not even part
 * of one: values are redacted before an over-long line is cut. The rule: every configured `env`
 * value (and the upstream token) of 4 characters or more is replaced by `[redacted]`; shorter
 * values (`1`, `on`) are left, as redacting them would mangle every line. A real child process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogger,
  provider,
  tempDir,
  trustJwks,
  writeJson,
} from './guard/support/fixtures.js';
import { initializeBody, startGateway, type RunningGateway } from './support/gateway.js';
import { until } from './support/stdio-servers.js';

// 4090 characters, then the secret: it straddles the 4096-character cut.
const CHILD = `
const e = process.env;
process.stderr.write('short=' + e.SHORT + ' four=' + e.FOUR + '\\n');
process.stderr.write('x'.repeat(4090) + e.LONG + ' tail\\n');
process.stderr.write('done\\n');
setInterval(() => {}, 1000);
`;
const LONG = 'L0ngSecretValue-abcdef';

describe('stdio stderr in the log', () => {
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };
  const logger = captureLogger();

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
    gateway = await startGateway(
      {
        auth: { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
        trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
        upstreams: {
          noisy: {
            command: process.execPath,
            args: ['-e', CHILD],
            env: { SHORT: '1', FOUR: 'k9x2', LONG },
            initializeTimeout: '2s',
            mode: 'report',
            providers: ['com.acme'],
          },
        },
      },
      { logger },
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await dir?.cleanup();
  });

  it('redacts configured values of 4+ characters before cutting a long line', async () => {
    // The child never answers initialize: it is killed after 2 s (504), its stderr logged.
    const answer = await fetch(gateway.mcpUrl('noisy'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: initializeBody(),
    });
    expect(answer.status).toBe(504);
    await answer.text();
    const stderr = () =>
      logger.lines
        .filter((l) => l.fields.upstream === 'noisy' && typeof l.fields.stderr === 'string')
        .map((l) => l.fields.stderr as string);
    await until(() => stderr().includes('done'), 'the child stderr in the log');
    const lines = stderr();
    expect(lines[0]).toBe('short=1 four=[redacted]');
    expect(lines[1]).toBe(`${'x'.repeat(4090)}[redac…`);
    const all = JSON.stringify(logger.lines);
    expect(all).not.toContain('k9x2');
    expect(all).not.toContain(LONG.slice(0, 6));
  });
});
