/**
 * `drivrr up --detach` / `health` / `down` as subprocesses, with no DATABASE_URL: the embedded
 * PostgreSQL starts in a temporary DRIVRR_HOME, both services come up healthy, and `down` leaves
 * no process behind.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test-support/db.js';
import { BIN, drivrr, freePort, isAlive, requireBuilt } from './helpers.js';

describe('drivrr up --detach, health, down (embedded PostgreSQL)', () => {
  let home: string;
  let env: Record<string, string | undefined>;
  let authPort: number;
  let realtimePort: number;
  const seenPids: number[] = [];

  beforeAll(async () => {
    requireBuilt();
    home = await mkdtemp(path.join(os.tmpdir(), 'drivrr-up-'));
    authPort = await freePort();
    do realtimePort = await freePort();
    while (realtimePort === authPort);
    // no DATABASE_URL, no keys: everything comes from `up`
    env = { DRIVRR_HOME: home, DATABASE_URL: undefined, JWT_PRIVATE_KEY: undefined, JWT_PUBLIC_KEY: undefined, DRIVRR_AUTH_URL: undefined, DRIVRR_REALTIME_URL: undefined };
  });

  // A test that failed (a timeout on a busy machine, say) may leave its stack up: stop it, so the
  // next test starts from nothing running instead of failing on a busy port.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await drivrr(['down'], env);
  });

  afterAll(async () => {
    await drivrr(['down'], env);
    for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  // The first three tests share one detached stack: up, look at it, stop it.
  let summary: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  let state: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  let pids: number[] = [];

  it('brings both services up healthy on an embedded database and reports it', async () => {
    const up = await drivrr(['up', '--detach', '--json', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], env);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    summary = JSON.parse(up.stdout);
    expect(summary).toMatchObject({
      authUrl: `http://127.0.0.1:${authPort}`,
      realtimeUrl: `http://127.0.0.1:${realtimePort}`,
      wsUrl: `ws://127.0.0.1:${realtimePort}/ws`,
      opsUrl: `http://127.0.0.1:${realtimePort}/ops?auth=http://127.0.0.1:${authPort}`,
      database: { kind: 'embedded' },
      detached: true,
    });
    expect(summary.database.url).not.toContain(JSON.parse(await readFile(path.join(home, 'postgres.json'), 'utf8')).password);
    expect(summary.flutter.dart[0]).toMatch(new RegExp(`^static const String baseUrl = 'http://[\\d.]+:${authPort}/api';$`));
    expect(summary.flutter.dart[1]).toMatch(new RegExp(`^static const String socketUrl = 'ws://[\\d.]+:${realtimePort}/ws';$`));

    state = JSON.parse(await readFile(path.join(home, 'state.json'), 'utf8'));
    pids = [state.pids.supervisor, state.pids.auth, state.pids.realtime, state.pids.postgres];
    seenPids.push(...pids);
    expect(pids.every((pid) => Number.isInteger(pid) && isAlive(pid))).toBe(true);
    expect(state.embeddedDatabase).toBe(true);
    expect(new URL(state.databaseUrl).port).not.toBe('5432');
    expect(((await stat(path.join(home, 'state.json'))).mode & 0o077)).toBe(0);
    expect(((await stat(path.join(home, 'keys', 'jwt-private.pem'))).mode & 0o077)).toBe(0);

    const health = await drivrr(['health', '--json'], env);
    expect(health.code).toBe(0);
    const report = JSON.parse(health.stdout);
    expect(report.healthy).toBe(true);
    expect(report.services.map((s: { service: string; status: string; db: { ok: boolean } }) => [s.service, s.status, s.db.ok])).toEqual([
      ['auth', 'ok', true],
      ['realtime', 'ok', true],
    ]);
  }, 60_000);

  it('shows the running stack with status, and its logs', async () => {
    const status = await drivrr(['status', '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      opsUrl: summary.opsUrl,
      pids: state.pids,
      detached: true,
      services: [{ service: 'auth', status: 'ok' }, { service: 'realtime', status: 'ok' }],
      nodes: [{ url: `http://127.0.0.1:${realtimePort}` }],
    });
    expect(JSON.parse(status.stdout).nodes).toEqual([{ id: expect.any(String), url: `http://127.0.0.1:${realtimePort}`, connections: expect.objectContaining({ drivers: expect.any(Number) }) }]);
    expect((await drivrr(['status'], env)).stdout).toMatch(/^Drivrr is running \(up \d+s since /);

    const authLog = await drivrr(['logs', 'auth', '--json', '-n', '5'], env);
    expect(authLog.code).toBe(0);
    const entries = authLog.stdout.trim().split('\n').map((line) => JSON.parse(line) as { service: string; msg: string });
    expect(entries.some((e) => e.service === 'auth' && e.msg === 'auth service listening')).toBe(true);
    const pretty = await drivrr(['logs'], env);
    expect(pretty.stdout).toMatch(/^auth {5}\| \[[\d:.]+\] INFO \(auth\): auth service listening/m);
    expect(pretty.stdout).toMatch(/^realtime \| \[[\d:.]+\] INFO \(realtime\): realtime service listening/m);
  }, 60_000);

  it('refuses a second up over it, and down stops everything', async () => {
    const again = await drivrr(['up', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], env);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(/^error: a stack is already running .*drivrr down/);

    const down = await drivrr(['down', '--json'], env);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ wasRunning: true, stopped: ['supervisor'] });
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    await expect(stat(path.join(home, 'state.json'))).rejects.toThrow();
    expect(await readFile(path.join(home, 'logs', 'postgres.log'), 'utf8')).toMatch(/database system is shut down/);

    const after = await drivrr(['health', '--json'], env);
    expect(after.code).toBe(3);
    expect(JSON.parse(after.stdout).services.map((s: { status: string }) => s.status)).toEqual(['unreachable', 'unreachable']);
  }, 60_000);

  it('reuses the database and keys on the next start and recovers from a hard-killed supervisor', async () => {
    const first = await drivrr(['up', '--detach', '--json', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], env);
    expect(first.code).toBe(0);
    const keyBefore = await readFile(path.join(home, 'keys', 'jwt-public.pem'), 'utf8');
    const state = JSON.parse(await readFile(path.join(home, 'state.json'), 'utf8'));
    seenPids.push(state.pids.supervisor, state.pids.auth, state.pids.realtime, state.pids.postgres);

    // the supervisor dies without cleaning up: services and postgres are orphaned
    process.kill(state.pids.supervisor, 'SIGKILL');
    const second = await drivrr(['up', '--detach', '--json', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], env);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const fresh = JSON.parse(await readFile(path.join(home, 'state.json'), 'utf8'));
    seenPids.push(fresh.pids.supervisor, fresh.pids.auth, fresh.pids.realtime, fresh.pids.postgres);
    expect([state.pids.auth, state.pids.realtime, state.pids.postgres].filter((pid: number) => isAlive(pid))).toEqual([]);
    expect(await readFile(path.join(home, 'keys', 'jwt-public.pem'), 'utf8')).toBe(keyBefore);
    // the migrations ran on the first start only: the schema is kept
    expect(JSON.parse(second.stdout).timingsMs).toBeDefined();

    expect((await drivrr(['health', '--json'], env)).code).toBe(0);
    expect((await drivrr(['down'], env)).code).toBe(0);
    expect([fresh.pids.supervisor, fresh.pids.auth, fresh.pids.realtime, fresh.pids.postgres].filter((pid: number) => isAlive(pid))).toEqual([]);
  }, 60_000); // two stack starts

  it("shows PostgreSQL's own FATAL line when the embedded database cannot start", async () => {
    const conf = path.join(home, 'pg', 'postgresql.conf');
    const original = await readFile(conf, 'utf8');
    await writeFile(conf, `${original}\nshared_buffers = 'lots'\n`);
    try {
      const up = await drivrr(['up', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], env);
      expect(up.code).toBe(1);
      const last = up.stderr.trim().split('\n').at(-1);
      expect(last).toMatch(/^error: the embedded PostgreSQL did not start: FATAL: .*postgresql\.conf.* \(log: .*postgres\.log\)$/);
      await expect(stat(path.join(home, 'state.json'))).rejects.toThrow();
    } finally {
      await writeFile(conf, original);
    }
  });

  it('runs in the foreground until Ctrl-C, then stops the services, the database, and removes its state', async () => {
    const child = spawn(process.execPath, [BIN, 'up', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], {
      env: Object.fromEntries(Object.entries({ ...process.env, ...env, NO_COLOR: '1' }).filter((e): e is [string, string] => e[1] !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('Press Ctrl-C to stop.') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toContain('Drivrr is up');
    expect(stdout).toContain(`static const String socketUrl = 'ws://`);
    // the services' JSON logs come through stderr, tagged with the service
    expect(stderr).toMatch(/^auth {5}\| \{"level":30/m);
    const state = JSON.parse(await readFile(path.join(home, 'state.json'), 'utf8'));
    const pids: number[] = [state.pids.auth, state.pids.realtime, state.pids.postgres];
    seenPids.push(child.pid!, ...pids);
    expect(state.pids.supervisor).toBe(child.pid);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    await expect(stat(path.join(home, 'state.json'))).rejects.toThrow();
    expect(stderr).toMatch(/realtime service stopped[\s\S]*stopped\n$/);
  });

  it('uses DATABASE_URL instead of the embedded database, migrating it first, on the ports AUTH_PORT and REALTIME_PORT name', async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      const up = await drivrr(['up', '--detach', '--json'], { ...env, DATABASE_URL: db.url, AUTH_PORT: String(authPort), REALTIME_PORT: String(realtimePort) });
      expect(up.code).toBe(0);
      const summary = JSON.parse(up.stdout);
      expect(summary).toMatchObject({ authUrl: `http://127.0.0.1:${authPort}`, realtimeUrl: `http://127.0.0.1:${realtimePort}` });
      expect(summary.database.kind).toBe('external');
      expect(summary.pids.postgres).toBeUndefined();
      seenPids.push(summary.pids.supervisor, summary.pids.auth, summary.pids.realtime);
      const status = await drivrr(['migrate', 'status', '--json'], { ...env, DATABASE_URL: db.url });
      expect(JSON.parse(status.stdout).pending).toBe(0);
      expect((await drivrr(['health', '--json'], env)).code).toBe(0);
      expect((await drivrr(['down'], env)).code).toBe(0);
      expect([summary.pids.supervisor, summary.pids.auth, summary.pids.realtime].filter((pid: number) => isAlive(pid))).toEqual([]);
    } finally {
      await db.drop();
    }
  }, 60_000);

  it('refuses a port already in use with one line and starts nothing', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(authPort, '0.0.0.0', resolve));
    try {
      const up = await drivrr(['up', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], env);
      expect(up.code).toBe(1);
      expect(up.stderr.trim().split('\n')).toEqual([`error: port ${authPort} is already in use (wanted by auth); stop what holds it or pick another with --auth-port`]);
      await expect(stat(path.join(home, 'state.json'))).rejects.toThrow();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses an unreachable DATABASE_URL and a bad flag with one line each', async () => {
    const port = await freePort();
    const unreachable = await drivrr(['up', '--quiet', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], { ...env, DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${port}/drivrr` });
    expect(unreachable.code).toBe(1);
    const lines = unreachable.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(`error: cannot reach the database at postgres://postgres:***@127.0.0.1:${port}/drivrr: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(unreachable.stderr).not.toContain('secret');
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);

    const bad = await drivrr(['up', '--auth-port', 'http'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(/--auth-port.*"http" is not a port/);

    const badEnv = await drivrr(['up', '--json'], { ...env, AUTH_PORT: 'http' });
    expect(badEnv.code).toBe(2);
    expect(JSON.parse(badEnv.stderr).error).toMatchObject({ code: 'usage', exitCode: 2, message: expect.stringMatching(/^AUTH_PORT: .*"http" is not a port/) });
  });

  it('a flag wins over AUTH_PORT', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(authPort, '0.0.0.0', resolve));
    try {
      const up = await drivrr(['up', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], { ...env, AUTH_PORT: '1' });
      expect(up.stderr).toContain(`port ${authPort} is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('reset stops the stack and wipes the embedded database and logs, keeping the keys', async () => {
    const up = await drivrr(['up', '--detach', '--json', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], env);
    expect(up.code).toBe(0);
    const pids = JSON.parse(up.stdout).pids;
    seenPids.push(pids.supervisor, pids.auth, pids.realtime, pids.postgres);
    const keyBefore = await readFile(path.join(home, 'keys', 'jwt-public.pem'), 'utf8');

    const refused = await drivrr(['reset'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe('error: refusing without confirmation: no terminal to ask on; pass --yes to go ahead');
    expect(isAlive(pids.auth)).toBe(true);
    expect((await stat(path.join(home, 'pg'))).isDirectory()).toBe(true);

    const reset = await drivrr(['reset', '--yes', '--json'], env);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ stopped: ['supervisor'], outboxCleared: null, keptKeys: path.join(home, 'keys') });
    expect([pids.supervisor, pids.auth, pids.realtime, pids.postgres].filter((pid: number) => isAlive(pid))).toEqual([]);
    await expect(stat(path.join(home, 'pg'))).rejects.toThrow();
    await expect(stat(path.join(home, 'logs', 'auth.log'))).rejects.toThrow();
    expect(await readFile(path.join(home, 'keys', 'jwt-public.pem'), 'utf8')).toBe(keyBefore);
  }, 60_000);
});
