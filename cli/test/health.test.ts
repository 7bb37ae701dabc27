/** `drivrr health` and `drivrr lan` as subprocesses, against a real stack (in-process, port 0). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminDatabaseUrl } from '../../test-support/db.js';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { drivrr, freePort, requireBuilt } from './helpers.js';

describe('drivrr health', () => {
  let stack: TestStack;
  let home: string;
  let flags: string[];
  beforeAll(async () => {
    requireBuilt();
    stack = await startTestStack();
    home = await mkdtemp(path.join(os.tmpdir(), 'drivrr-health-'));
    flags = ['--auth-url', stack.auth!.url, '--realtime-url', stack.realtime!.url];
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('says healthy with exit 0, as JSON for scripts and as a table for people', async () => {
    const json = await drivrr(['health', '--json', ...flags], { DRIVRR_HOME: home });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ healthy: true, services: [{ service: 'auth', status: 'ok', httpStatus: 200, db: { ok: true } }, { service: 'realtime', status: 'ok', db: { ok: true } }] });
    expect(report.services[1].connections).toBeDefined();

    const table = await drivrr(['health', ...flags], { DRIVRR_HOME: home });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^SERVICE\s+STATUS\s+URL\s+DATABASE/);
    expect(table.stdout).toMatch(/\nauth\s+ok\s+http:\/\/127\.0\.0\.1:\d+\s+ok \(/);
    expect(table.stdout).toContain('all healthy');
    expect(table.stdout).not.toContain('\u001b[');
  });

  it('takes the URLs from DRIVRR_AUTH_URL and DRIVRR_REALTIME_URL too', async () => {
    const res = await drivrr(['health', '--json'], { DRIVRR_HOME: home, DRIVRR_AUTH_URL: stack.auth!.url, DRIVRR_REALTIME_URL: stack.realtime!.url });
    expect(res.code).toBe(0);
  });

  it('exits 3 and says which part is down: a degraded database, an unreachable service', async () => {
    const port = await freePort();
    const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${stack.db.name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [stack.db.name]);
      const res = await drivrr(['health', '--json', '--auth-url', stack.auth!.url, '--realtime-url', `http://127.0.0.1:${port}`], { DRIVRR_HOME: home });
      expect(res.code).toBe(3);
      const report = JSON.parse(res.stdout);
      expect(report.healthy).toBe(false);
      expect(report.services[0]).toMatchObject({ service: 'auth', status: 'degraded', httpStatus: 503, db: { ok: false } });
      expect(report.services[1]).toMatchObject({ service: 'realtime', status: 'unreachable', httpStatus: null });

      const table = await drivrr(['health', '--auth-url', stack.auth!.url, '--realtime-url', `http://127.0.0.1:${port}`], { DRIVRR_HOME: home });
      expect(table.code).toBe(3);
      expect(table.stderr.trim()).toMatch(/^error: not healthy: auth degraded .*; realtime unreachable/);
    } finally {
      await admin.query(`ALTER DATABASE ${stack.db.name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    expect((await drivrr(['health', '--json', ...flags], { DRIVRR_HOME: home })).code).toBe(0);
  });

  it('refuses a malformed URL as a usage error', async () => {
    const res = await drivrr(['health', '--auth-url', 'localhost:3000']);
    expect(res.code).toBe(2);
    expect(res.stderr.split('\n')[0]).toMatch(/--auth-url.*not an http\(s\) URL/);
  });
});

describe('drivrr lan', () => {
  it('prints the LAN IP and the Dart constants, or explains that there is none', async () => {
    const res = await drivrr(['lan', '--json', '--auth-port', '3000', '--realtime-port', '8081']);
    const hasLan = Object.values(os.networkInterfaces()).some((list) => list?.some((i) => i.family === 'IPv4' && !i.internal));
    if (!hasLan) {
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/no LAN IPv4 address/);
      return;
    }
    expect(res.code).toBe(0);
    const lan = JSON.parse(res.stdout);
    expect(lan.baseUrl).toBe(`http://${lan.address}:3000/api`);
    expect(lan.dart).toEqual([`static const String baseUrl = 'http://${lan.address}:3000/api';`, `static const String socketUrl = 'ws://${lan.address}:8081/ws';`]);
    const text = await drivrr(['lan']);
    expect(text.stdout.trim().split('\n')).toEqual([`static const String baseUrl = 'http://${lan.address}:3000/api';`, `static const String socketUrl = 'ws://${lan.address}:8081/ws';`]);
  });
});
