/**
 * Every scripted scenario, end to end against the real services (OTP login with test phones,
 * real tokens, real sockets, real PostgreSQL), with short realtime timers so expiry is seen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario, SCENARIOS } from '@drivrr/simulators';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    authEnv: { OTP_TEST_PHONES: '+92399*=000000' },
    realtimeEnv: { REQUEST_TTL_MS: '6000', BID_TTL_MS: '5000', MATCH_STEP_MS: '300' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('scripted scenarios against the real services', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      const result = await runScenario(scenario, { authUrl: stack.auth!.url, wsUrl: stack.realtime!.wsUrl });
      const failed = result.steps.find((step) => step.status === 'failed');
      expect(result.error ?? '', failed ? `step ${failed.index}: ${failed.title}` : '').toBe('');
      expect(result.ok).toBe(true);
      expect(result.steps.filter((step) => step.status === 'skipped')).toEqual([]);
      expect(result.protocolIssues).toEqual([]);
    }, 40_000);
  }

  it('reports a failed expectation as expected vs got, and still cleans up', async () => {
    const broken = {
      ...SCENARIOS[0]!,
      name: 'broken',
      steps: [
        SCENARIOS[0]!.steps[0]!,
        { actor: 'bilal', http: { method: 'GET' as const, path: '/api/users/me' }, expectStatus: 200, expectBody: { name: 'Somebody Else' } },
      ],
    };
    const result = await runScenario(broken, { authUrl: stack.auth!.url, wsUrl: stack.realtime!.wsUrl });
    expect(result.ok).toBe(false);
    expect(result.error).toContain('body.name: expected "Somebody Else", got "Bilal Ahmed"');
    expect(result.steps[1]!.status).toBe('failed');
    const { rows } = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM rides WHERE status IN ('requested','assigned','arrived','in_progress')`);
    expect(rows[0]!.n).toBe(0);
  });

  it('asks a GET with `within` again until the answer matches, and fails it with the last mismatch after that long', async () => {
    // Arrange: the user's name changes while the step asks (a read that lags, like another node's view).
    const rename = (name: string) => stack.query(`UPDATE users SET name = $1 WHERE phone = (SELECT phone FROM users WHERE name IN ('Bilal Ahmed', 'Bilal Later') ORDER BY created_at DESC LIMIT 1)`, [name]);
    const lagging = (within?: number) => ({
      ...SCENARIOS[0]!,
      name: 'lagging-read',
      steps: [SCENARIOS[0]!.steps[0]!, { actor: 'bilal', http: { method: 'GET' as const, path: '/api/users/me' }, expectStatus: 200, expectBody: { name: 'Bilal Later' }, ...(within === undefined ? {} : { within }) }],
    });
    const options = { authUrl: stack.auth!.url, wsUrl: stack.realtime!.wsUrl };

    // Act + Assert: asked once, it fails; with `within`, the renamed user is seen.
    expect((await runScenario(lagging(), options)).ok).toBe(false);
    // The login step sets the name again: rename every 100 ms until the run ends.
    const renaming = setInterval(() => void rename('Bilal Later'), 100);
    const patient = await runScenario(lagging(3_000), options).finally(() => clearInterval(renaming));
    expect(patient.error ?? '').toBe('');
    expect(patient.ok).toBe(true);

    // ...and a GET that never matches fails once its time is up, saying how long it asked.
    await rename('Bilal Ahmed');
    const started = Date.now();
    const never = await runScenario({ ...lagging(400), steps: [SCENARIOS[0]!.steps[0]!, { actor: 'bilal', http: { method: 'GET' as const, path: '/api/users/me' }, expectStatus: 200, expectBody: { name: 'Nobody' }, within: 400 }] }, options);
    expect(never.error).toContain('(for 400 ms)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
