/**
 * `drivrr logs` on the files `drivrr up` keeps ($DRIVRR_HOME/logs/<service>.log), written here by
 * the test: both services merged in time order and made readable, one service as JSON, the
 * database's plain log, --follow printing what is appended until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, drivrr, requireBuilt } from './helpers.js';

let home: string;
const line = (service: string, time: string, msg: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ level: 30, time, service, name: service, msg, ...extra })}\n`;

beforeAll(async () => {
  requireBuilt();
  home = await mkdtemp(path.join(os.tmpdir(), 'drivrr-logs-'));
  await mkdir(path.join(home, 'logs'));
  await writeFile(path.join(home, 'logs', 'auth.log'), line('auth', '2026-11-25T10:00:01.000Z', 'auth service listening', { port: 3000 }) + line('auth', '2026-11-25T10:00:03.000Z', 'otp sent'));
  await writeFile(path.join(home, 'logs', 'realtime.log'), line('realtime', '2026-11-25T10:00:02.000Z', 'realtime service listening') + 'drivrr realtime: invalid configuration: REALTIME_PORT\n');
  await writeFile(path.join(home, 'logs', 'postgres.log'), '2026-11-25 10:00:00.000 UTC [1] LOG:  database system is ready to accept connections\n');
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('drivrr logs', () => {
  it('merges both services in time order, readable, a line that is not JSON kept as it is', async () => {
    const run = await drivrr(['logs'], { DRIVRR_HOME: home });

    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((l) => l.slice(0, 10))).toEqual(['auth     |', 'realtime |', 'realtime |', 'auth     |']);
    expect(lines[0]).toMatch(/^auth {5}\| \[\d\d:\d\d:01\.000\] INFO \(auth\): auth service listening \{"port":3000\}$/);
    expect(lines[2]).toBe('realtime | drivrr realtime: invalid configuration: REALTIME_PORT');
    expect(lines[3]).toContain('otp sent');
  });

  it('prints one service as the JSON lines it wrote, and the last N only', async () => {
    const run = await drivrr(['logs', 'auth', '--json', '-n', '1'], { DRIVRR_HOME: home });

    expect(run.stdout.trim().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['otp sent']);
  });

  it("shows the database's own log", async () => {
    const run = await drivrr(['logs', 'db'], { DRIVRR_HOME: home });

    expect(run.stdout).toContain('db       | 2026-11-25 10:00:00.000 UTC [1] LOG:  database system is ready');
  });

  it('follows a log until Ctrl-C, printing what is appended', async () => {
    const child = spawn(process.execPath, [BIN, 'logs', 'auth', '--follow', '-n', '1'], { env: { ...process.env, NO_COLOR: '1', DRIVRR_HOME: home } });
    let stdout = '';
    const seen = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => (stdout.includes(text) ? resolve() : undefined);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          check();
        });
        check();
      });
    await seen('otp sent');

    await appendFile(path.join(home, 'logs', 'auth.log'), line('auth', '2026-11-25T10:00:09.000Z', 'a new line'));
    await seen('a new line');
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

    expect(code).toBe(0);
    expect(stdout).not.toContain('auth service listening');
  });

  it('says in one line when there are no logs yet', async () => {
    const run = await drivrr(['logs', 'realtime'], { DRIVRR_HOME: path.join(home, 'nowhere') });

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^error: no logs of realtime in .*nowhere\/logs yet; start the stack with "drivrr up"$/);
  });
});
