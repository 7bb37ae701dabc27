/**
 * `drivrr simulate` and `drivrr scenario` as subprocesses (the built CLI) against the real
 * services, the way QA and demo people run them: exit codes, JSON output, and a clean Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverVehicleType, fleetPhone, parseVehicleMix, SCENARIOS } from '@drivrr/simulators';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { BIN, drivrr, requireBuilt } from '../../cli/test/helpers.js';

let stack: TestStack;
let home: string;
let urls: string[];

beforeAll(async () => {
  requireBuilt();
  stack = await startTestStack({
    authEnv: { OTP_TEST_PHONES: '+92399*=000000' },
    realtimeEnv: { MATCH_STEP_MS: '500', REQUEST_TTL_MS: '20000', BID_TTL_MS: '10000' },
  });
  home = mkdtempSync(path.join(tmpdir(), 'drivrr-sim-cli-'));
  urls = ['--auth-url', stack.auth!.url, '--realtime-url', stack.realtime!.url];
});

afterAll(async () => {
  await stack?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const openRides = async () =>
  (await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM rides WHERE status IN ('requested','assigned','arrived','in_progress')`)).rows[0]!.n;

describe('drivrr scenario', () => {
  it('lists the scenarios as JSON', async () => {
    const run = await drivrr(['scenario', 'list', '--json'], { DRIVRR_HOME: home });
    expect(run.code).toBe(0);
    const list = JSON.parse(run.stdout) as { name: string; steps: number }[];
    expect(list.map((s) => s.name)).toContain('bid-race');
    expect(list.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
  });

  it('runs a scenario and exits 0 with a passing JSON result', async () => {
    const run = await drivrr(['scenario', 'run', 'happy-path', '--json', ...urls], { DRIVRR_HOME: home });
    expect(run.stderr).toContain('PASS happy-path');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; steps: { status: string }[] };
    expect(result.ok).toBe(true);
    expect(result.steps.every((step) => step.status === 'passed')).toBe(true);
  });

  it('names the missing argument in one line when there is no terminal to ask on', async () => {
    const run = await drivrr(['scenario', 'run', ...urls], { DRIVRR_HOME: home, CI: '1' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: name a scenario: drivrr scenario run NAME (or --all); see drivrr scenario list');
  });

  it('refuses an unknown scenario with the known names', async () => {
    const run = await drivrr(['scenario', 'run', 'nope', ...urls], { DRIVRR_HOME: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown scenario "nope" (known: happy-path,');
  });
});

describe('drivrr simulate', () => {
  it('runs a short fleet, prints the summary as JSON on stdout with --json and writes it to --out', async () => {
    const file = path.join(home, 'fleet.json');
    const run = await drivrr(
      ['simulate', '--drivers', '8', '--customers', '3', '--duration', '8s', '--seed', '5', '--time-scale', '30', '--fix-interval', '1', '--rate', '30', '--json', '--out', file, ...urls],
      { DRIVRR_HOME: home },
    );
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { protocolErrors: number; seed: number; locationUpdates: number };
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(summary);
    expect(summary.seed).toBe(5);
    expect(summary.protocolErrors).toBe(0);
    expect(summary.locationUpdates).toBeGreaterThan(8 * 5);
    expect(await openRides()).toBe(0);
  });

  it('stops cleanly on Ctrl-C: a summary, exit 0, nothing left open', async () => {
    const child = spawn(process.execPath, [BIN, 'simulate', '--drivers', '8', '--customers', '4', '--duration', '5m', '--seed', '6', '--rate', '60', '--fix-interval', '1', ...urls], {
      env: { ...process.env, NO_COLOR: '1', DRIVRR_HOME: home },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const running = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('running for')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await running;
    await new Promise((resolve) => setTimeout(resolve, 4000));
    child.kill('SIGINT');
    const code = await exited;
    expect(stderr).toContain('stopping: everyone logs off');
    expect(code).toBe(0);
    expect(stdout).toContain('Fleet summary (seed 6');
    expect(await openRides()).toBe(0);
    const health = (await (await fetch(`${stack.realtime!.url}/api/health`)).json()) as { connections: { drivers: number; customers: number } };
    expect(health.connections.drivers + health.connections.customers).toBe(0);
  }, 40_000);

  it('runs a fleet in a vehicle mix: drivers register vehicles of the mix, requests ask for its types', async () => {
    const run = await drivrr(
      ['simulate', '--drivers', '8', '--customers', '4', '--duration', '8s', '--seed', '9', '--time-scale', '30', '--fix-interval', '1', '--rate', '60', '--vehicle-mix', 'car=50,bike=50', '--json', ...urls],
      { DRIVRR_HOME: home },
    );
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { protocolErrors: number }).protocolErrors).toBe(0);
    const phones = Array.from({ length: 8 }, (_, i) => fleetPhone(9, 'driver', i));
    const vehicles = await stack.query<{ type: string; n: number }>(
      `SELECT v.type, count(*)::int AS n FROM vehicles v JOIN users u ON u.id = v.driver_id WHERE u.phone = ANY($1::text[]) GROUP BY v.type`,
      [phones],
    );
    const expected: Record<string, number> = {};
    for (let i = 0; i < 8; i += 1) {
      const type = driverVehicleType(9, i, parseVehicleMix('car=50,bike=50'));
      expected[type] = (expected[type] ?? 0) + 1;
    }
    expect(Object.keys(expected).sort()).toEqual(['bike', 'car']);
    expect(Object.fromEntries(vehicles.rows.map((row) => [row.type, row.n]))).toEqual(expected);
    const asked = await stack.query<{ vehicle_type: string }>(
      `SELECT DISTINCT r.vehicle_type FROM rides r JOIN users u ON u.id = r.customer_id WHERE u.phone = ANY($1::text[])`,
      [Array.from({ length: 4 }, (_, i) => fleetPhone(9, 'customer', i))],
    );
    expect(asked.rows.length).toBeGreaterThan(0);
    for (const row of asked.rows) expect(['car', 'bike']).toContain(row.vehicle_type);
    expect(await openRides()).toBe(0);
  });

  it('refuses a bad --vehicle-mix as a usage error that says why', async () => {
    const run = await drivrr(['simulate', '--vehicle-mix', 'car=60,truck=40', ...urls], { DRIVRR_HOME: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown vehicle type "truck"');
  });

  it('says in one line when the stack cannot be reached', async () => {
    const run = await drivrr(['simulate', '--duration', '1s', '--auth-url', 'http://127.0.0.1:1', '--realtime-url', 'http://127.0.0.1:2'], { DRIVRR_HOME: home });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('error: cannot reach http://127.0.0.1:1 (start the stack with `drivrr up`, or pass --auth-url/--realtime-url)');
  });
});
