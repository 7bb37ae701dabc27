import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

describe('health of both services', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => stack.stop());

  it('auth answers ok with the database latency', async () => {
    const res = await fetch(`${stack.auth!.url}/api/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', service: 'auth', db: { ok: true } });
    expect(typeof body.db.latencyMs).toBe('number');
    expect(typeof body.uptimeS).toBe('number');
    expect(typeof body.version).toBe('string');
  });

  it('realtime answers ok with connection counts', async () => {
    const res = await fetch(`${stack.realtime!.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', service: 'realtime', connections: { drivers: 0, customers: 0 }, db: { ok: true } });
  });

  it('unknown routes answer 404 in the contract error shape', async () => {
    const res = await fetch(`${stack.auth!.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });
});
