import { connect } from 'node:net';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  registryFiles,
  runRegistryBin,
  startRegistryProcess,
} from '../support/registry-process.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const files = registryFiles();
afterAll(() => files.remove());

describe('etdi-registry', () => {
  it('--dev creates a signing key and an admin key once, says how to use them, and reuses them', async () => {
    const cwd = join(files.dir, 'dev');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cwd);
    const first = await startRegistryProcess(['--dev'], { cwd });
    let adminKey: string;
    try {
      adminKey = readFileSync(join(cwd, 'data/admin-key'), 'utf8').trim();
      expect(existsSync(join(cwd, 'data/registry-key.jwk'))).toBe(true);
      const res = await fetch(`${first.url}/v1/providers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ iss: 'com.example' }),
      });
      expect(res.status).toBe(201);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await startRegistryProcess(['--dev'], { cwd });
    try {
      expect(readFileSync(join(cwd, 'data/admin-key'), 'utf8').trim()).toBe(adminKey);
      const res = await fetch(`${second.url}/v1/providers/com.example/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(res.status).toBe(201);
    } finally {
      await second.stop();
    }
  });

  it('migrate applies the schema once and says so on stdout', async () => {
    const db = join(files.dir, 'migrate.db');
    const first = await runRegistryBin(['migrate', '--db', db]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ store: 'sqlite', version: 1, applied: [1] });
    const again = await runRegistryBin(['migrate'], { env: { ETDI_REGISTRY_DB: db } });
    expect(JSON.parse(again.stdout)).toEqual({ store: 'sqlite', version: 1, applied: [] });
  });

  it('exits 2 without a signing key, naming the fix', async () => {
    const res = await runRegistryBin(['--db', join(files.dir, 'nokey.db')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/needs its signing key: --key FILE/);
  });

  it('exits 2 for a configuration file with an unknown member, naming its pointer', async () => {
    const config = join(files.dir, 'bad.yaml');
    writeFileSync(config, 'port: 4000\nlisten: 1\n');
    const res = await runRegistryBin(['--config', config]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('/listen: unknown key "listen"');
  });

  it('exits 2 for a key file that is not a private key, without echoing it', async () => {
    const keyFile = join(files.dir, 'not-a-key.jwk');
    writeFileSync(keyFile, '{"kty":"OKP","crv":"Ed25519","x":"SECRETISH"}');
    const res = await runRegistryBin(['--key', keyFile, '--db', join(files.dir, 'k.db')]);
    expect(res.code).toBe(2);
    expect(res.stderr).not.toContain('SECRETISH');
  });

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const keyFile = await files.keyFile();
    const proc = await startRegistryProcess(
      ['--db', join(files.dir, 'graceful.db'), '--key', keyFile, '--id', files.id],
      { env: { ETDI_REGISTRY_ADMIN_KEY: files.adminKey } },
    );
    try {
      const body = JSON.stringify({ iss: 'org.graceful' });
      const { port } = new URL(proc.url);
      const socket = connect({ host: '127.0.0.1', port: Number(port) });
      await once(socket, 'connect');
      // Headers and half the body: the request is in flight.
      socket.write(
        `POST /v1/providers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${files.adminKey}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      await proc.waitForLine(
        (l) => l.includes('"incoming request"') && l.includes('/v1/providers'),
      );
      proc.child.kill('SIGTERM');
      await proc.waitForLine((l) => l.includes('"shutting down"'));
      let response = '';
      socket.on('data', (d: Buffer) => (response += d.toString()));
      socket.write(body.slice(5));
      await once(socket, 'close');
      expect(response).toMatch(/^HTTP\/1\.1 201 /);
      expect(await proc.exited()).toBe(0);
    } finally {
      await proc.kill9();
    }
  });
});
