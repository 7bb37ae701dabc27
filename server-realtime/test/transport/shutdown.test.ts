import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestStack, type TestStack } from '../../../test-support/stack.js';
import { connect, openSocket, refusedHandshake } from '../support/client.js';
import { probeModule } from '../support/probe-module.js';

describe('graceful stop', () => {
  const probe = probeModule();
  const offline: string[] = [];
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      auth: false,
      realtimeModules: [
        probe.factory,
        (deps) => {
          deps.presence.onDriverOffline((id) => offline.push(id));
          return { name: 'offline-recorder' };
        },
      ],
    });
  });
  afterAll(async () => stack.stop());

  it('stops the modules, closes every client with 1001 without announcing drivers offline, then refuses new sockets', async () => {
    const driver = await createUser(stack, 'driver');
    const customer = await createUser(stack, 'customer');
    const d = await connect(stack.realtime!.wsUrl, driver.token);
    const c = await connect(stack.realtime!.wsUrl, customer.token);
    await d.request('driver.online', { lat: 24.86, lng: 67.0 });

    await stack.realtime!.stop();

    expect(await d.closed).toBe(1001);
    expect(await c.closed).toBe(1001);
    expect(probe.stopped).toBe(true);
    expect(offline).toEqual([]);
    await expect(refusedHandshake(openSocket(stack.realtime!.wsUrl, driver.token))).rejects.toThrow(/ECONNREFUSED/);
  });
});
