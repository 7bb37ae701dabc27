/**
 * The services as the operating system sees them: `node <service>/dist/main.js` (built by
 * `tsc -b`, which `npm test` runs first). Config errors, listening, graceful shutdown on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateSigningKeys, signAccessToken, type SigningKeys } from '@drivrr/shared';
import { createTestDatabase, type TestDatabase } from '../../test-support/db.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAINS = { auth: `${root}server-auth/dist/main.js`, realtime: `${root}server-realtime/dist/main.js` } as const;
type Service = keyof typeof MAINS;

interface Spawned {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(service: Service, env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [MAINS[service]], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => stdout.push(l));
  readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout, stderr, exit };
}

/** The port from the service's "listening" JSON log line. */
async function listeningPort(proc: Spawned): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    for (const line of proc.stdout) {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg?.includes('listening') && typeof entry.port === 'number') return entry.port;
      } catch {
        // not JSON: ignore
      }
    }
    if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.stderr.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never logged that it listens');
}

describe('services as processes', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let keys: SigningKeys;
  const running: Spawned[] = [];
  beforeAll(async () => {
    for (const main of Object.values(MAINS)) if (!existsSync(main)) throw new Error(`${main} is missing: run "npx tsc -b" first (npm test does)`);
    db = await createTestDatabase();
    keys = generateSigningKeys();
    env = { NODE_ENV: 'test', DATABASE_URL: db.url, JWT_PRIVATE_KEY: keys.privateKeyPem, JWT_PUBLIC_KEY: keys.publicKeyPem, AUTH_HOST: '127.0.0.1', REALTIME_HOST: '127.0.0.1', AUTH_PORT: '0', REALTIME_PORT: '0' };
  });
  afterAll(async () => {
    for (const proc of running) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await db?.drop();
  });

  it.each([
    ['auth', { AUTH_PORT: 'abc' }, 'AUTH_PORT'],
    ['auth', { AUTH_PORT: '70000' }, 'AUTH_PORT'],
    ['auth', { DATABASE_URL: 'mysql://nope' }, 'DATABASE_URL'],
    ['auth', { JWT_PRIVATE_KEY: '' }, 'JWT_PRIVATE_KEY'],
    ['realtime', { REALTIME_PORT: '-1' }, 'REALTIME_PORT'],
    ['realtime', { JWT_PUBLIC_KEY: 'not a key' }, 'JWT_PUBLIC_KEY'],
  ] as const)('%s refuses to start with bad config %j: exit 1 naming %s, no stack trace', async (service, bad, variable) => {
    const proc = start(service, { ...env, ...bad });
    running.push(proc);
    const { code } = await proc.exit;
    expect(code).toBe(1);
    const text = proc.stderr.join('\n');
    expect(text).toContain(variable);
    expect(text).not.toMatch(/\n\s+at /);
    expect(proc.stderr.filter((l) => l.includes(variable))).toHaveLength(1);
  });

  it('says in one line that the port is taken', async () => {
    const first = start('auth', env);
    running.push(first);
    const port = await listeningPort(first);
    const second = start('auth', { ...env, AUTH_PORT: String(port) });
    running.push(second);
    const { code } = await second.exit;
    expect(code).toBe(1);
    expect(second.stderr).toHaveLength(1);
    expect(second.stderr[0]).toMatch(new RegExp(`port ${port} is already in use`));
    first.child.kill('SIGTERM');
    await first.exit;
  });

  it.each(['auth', 'realtime'] as const)('%s stops on SIGTERM: finishes, closes an idle keep-alive socket, ends its pool, exits 0', async (service) => {
    const proc = start(service, env);
    running.push(proc);
    const port = await listeningPort(proc);
    // a keep-alive connection that stays open must not hold the shutdown up
    const agentRes = await fetch(`http://127.0.0.1:${port}/api/health`, { headers: { connection: 'keep-alive' } });
    expect(agentRes.status).toBe(200);
    await agentRes.json();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const appName = `drivrr-${service}`;
      const before = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [appName, db.name]);
      expect(before.rows[0].n).toBeGreaterThan(0);

      proc.child.kill('SIGTERM');
      const { code } = await proc.exit;
      expect(code).toBe(0);
      const logs = proc.stdout.map((l) => JSON.parse(l) as { msg: string });
      expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', `${service} service stopped`]));
      const after = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [appName, db.name]);
      expect(after.rows[0].n).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('realtime closes open WebSockets with 1001 (going away) on SIGTERM and still exits 0', async () => {
    const proc = start('realtime', env);
    running.push(proc);
    const port = await listeningPort(proc);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    let userId: string;
    try {
      const { rows } = await admin.query<{ id: string }>(`INSERT INTO users (phone, role, name) VALUES ('+923001110001', 'customer', 'Shutdown Test') RETURNING id`);
      userId = rows[0]!.id;
    } finally {
      await admin.end();
    }
    const token = signAccessToken({ sub: userId, role: 'customer' }, { privateKey: keys.privateKeyPem, kid: keys.kid }).token;
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: `Bearer ${token}` } });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });

    proc.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect((await proc.exit).code).toBe(0);
  });

  it.each(['auth', 'realtime'] as const)('%s still stops on SIGTERM after whoever read its logs went away (broken stdout pipe)', async (service) => {
    const proc = start(service, env);
    running.push(proc);
    await listeningPort(proc);
    // the log reader dies (a supervisor killed hard): every later write to stdout fails with EPIPE
    proc.child.stdout!.destroy();
    proc.child.kill('SIGTERM');
    expect((await proc.exit).code).toBe(0);
  });
});
