/** `drivrr otp`, `drivrr login` and `drivrr users seed` as subprocesses against a started stack. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, uniquePhone, uniqueTestPhone, type TestStack } from '../../test-support/stack.js';
import { BIN, drivrr, requireBuilt } from './helpers.js';

let stack: TestStack;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  requireBuilt();
  stack = await startTestStack({ realtime: false });
  home = mkdtempSync(path.join(tmpdir(), 'drivrr-accounts-'));
  env = { DRIVRR_HOME: home, DRIVRR_AUTH_URL: stack.auth!.url, DATABASE_URL: stack.db.url };
});
afterAll(async () => {
  await stack?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

async function sendOtp(phone: string, role = 'customer') {
  const res = await fetch(`${stack.auth!.url}/api/auth/otp/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone, role }) });
  expect(res.status).toBe(202);
}

describe('drivrr otp', () => {
  it('prints the latest code of a phone from the dev outbox, as a table and as JSON', async () => {
    const phone = uniquePhone();
    await sendOtp(phone);
    const { rows } = await stack.query<{ code: string }>(`SELECT code FROM dev_sms_outbox WHERE phone = $1`, [phone]);

    const table = await drivrr(['otp', phone], env);
    const json = await drivrr(['otp', `0${phone.slice(3)}`, '--json'], env);

    expect(table.code).toBe(0);
    expect(table.stdout).toContain(rows[0]!.code);
    expect(table.stdout).toContain('PHONE');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed[0]).toMatchObject({ phone, role: 'customer', code: rows[0]!.code });
  });

  it('follows new codes with --watch', async () => {
    const phone = uniquePhone();
    const child = spawn(process.execPath, [BIN, 'otp', phone, '--watch', '--json'], { env: { ...process.env, NO_COLOR: '1', ...env } });
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('watching') && resolve());
        child.once('exit', () => reject(new Error('otp --watch exited early')));
      });
      await sendOtp(phone, 'driver');
      const deadline = Date.now() + 10_000;
      while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(JSON.parse(out.split('\n')[0]!)).toMatchObject({ phone, role: 'driver', code: expect.stringMatching(/^\d{6}$/) });
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    }
    expect(child.exitCode).toBe(0);
  });

  it('fails in one line without a database', async () => {
    const run = await drivrr(['otp'], { DRIVRR_HOME: home, DATABASE_URL: '' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('DATABASE_URL');
  });
});

describe('drivrr login', () => {
  it('logs a real phone in with the code from the dev outbox and prints an eval-able token pair', async () => {
    const phone = uniquePhone();
    const run = await drivrr(['login', phone, '--role', 'driver'], env);
    expect(run.code, run.stderr).toBe(0);
    const vars = Object.fromEntries(run.stdout.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
    expect(Object.keys(vars)).toEqual(['DRIVRR_ACCESS_TOKEN', 'DRIVRR_REFRESH_TOKEN', 'DRIVRR_USER_ID']);
    const me = await fetch(`${stack.auth!.url}/api/users/me`, { headers: { authorization: `Bearer ${vars.DRIVRR_ACCESS_TOKEN}` } });
    expect(await me.json()).toMatchObject({ id: vars.DRIVRR_USER_ID, phone, role: 'driver' });
    expect(run.stderr).toContain('dev-outbox');
  });

  it('logs a test phone in with its fixed code and prints the whole answer with --json', async () => {
    const phone = uniqueTestPhone();
    const run = await drivrr(['login', phone, '--role', 'customer', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer).toMatchObject({ isNewUser: true, user: { phone, role: 'customer' }, expiresInS: 900 });
    expect(typeof answer.refreshToken).toBe('string');
  });

  it('explains a refused operator login in one line', async () => {
    const run = await drivrr(['login', uniquePhone(), '--role', 'operator'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('forbidden');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('drivrr users seed', () => {
  it('creates drivers with vehicles and customers through the OTP API, the same for the same seed', async () => {
    const run = await drivrr(['users', 'seed', '--drivers', '3', '--customers', '2', '--seed', '11', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const accounts = JSON.parse(run.stdout);
    expect(accounts).toHaveLength(5);
    expect(accounts.filter((a: { role: string }) => a.role === 'driver')).toHaveLength(3);
    const { rows } = await stack.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM users u JOIN vehicles v ON v.driver_id = u.id WHERE u.id = ANY($1::uuid[])`,
      [accounts.map((a: { id: string }) => a.id)],
    );
    expect(rows[0]!.n).toBe(3);

    const again = JSON.parse((await drivrr(['users', 'seed', '--drivers', '3', '--customers', '2', '--seed', '11', '--json'], env)).stdout);
    expect(again.map((a: { id: string }) => a.id)).toEqual(accounts.map((a: { id: string }) => a.id));
    expect(again.every((a: { isNewUser: boolean }) => !a.isNewUser)).toBe(true);
  });
});
