import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../../test-support/stack.js';
import { connect, type Frame, type TestClient } from '../support/client.js';
import { probeModule } from '../support/probe-module.js';
import { createRng } from '@drivrr/shared/random';

describe('envelope handling over a real socket', () => {
  const probe = probeModule({ openRequest: null, offers: [] });
  let stack: TestStack;
  let driver: TestUser;
  let customer: TestUser;
  let client: TestClient;

  beforeAll(async () => {
    stack = await startTestStack({ auth: false, realtimeEnv: { WS_RATE_PER_S: '100000', WS_RATE_BURST: '100000' }, realtimeModules: [probe.factory] });
    driver = await createUser(stack, 'driver');
    customer = await createUser(stack, 'customer');
    client = await connect(stack.realtime!.wsUrl, driver.token);
  });
  afterAll(async () => {
    await client?.close();
    await stack.stop();
  });

  async function stillUsable(c: TestClient): Promise<void> {
    const pong = await c.request('ping', {});
    expect(pong).toMatchObject({ type: 'ack', data: { ts: expect.any(Number) } });
  }

  it('starts the modules and merges their session.state part', () => {
    expect(probe.started).toBe(true);
    expect(client.sessionState?.data).toMatchObject({ activeRide: null, openRequest: null, offers: [] });
  });

  it('answers bad JSON with invalid_json and stays usable', async () => {
    client.sendRaw('{"type": "ping", ');
    expect((await client.nextOfType('error')).error?.code).toBe('invalid_json');
    await stillUsable(client);
  });

  it('answers a frame that is not an envelope with validation_failed, keeping a readable id', async () => {
    client.sendRaw(JSON.stringify({ id: 'no-type', data: {} }));
    expect(await client.next((f) => f.id === 'no-type')).toMatchObject({ type: 'error', error: { code: 'validation_failed' } });
    client.sendRaw('[1,2,3]');
    expect((await client.nextOfType('error')).error?.code).toBe('validation_failed');
    await stillUsable(client);
  });

  it('answers an unknown type with unknown_type', async () => {
    expect(await client.request('teleport', {})).toMatchObject({ type: 'error', error: { code: 'unknown_type' } });
    await stillUsable(client);
  });

  it('answers bad fields with validation_failed and the issues', async () => {
    const answer = await client.request('driver.online', { lat: 120, lng: 'east' });
    expect(answer.error?.code).toBe('validation_failed');
    expect(answer.error?.details?.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'lat' })]));
    expect((await client.request('driver.online', { lat: 1, lng: 2, extra: true })).error?.code).toBe('validation_failed');
    await stillUsable(client);
  });

  it('answers a frame over 16 KiB with frame_too_large and keeps the socket open', async () => {
    client.sendRaw(JSON.stringify({ type: 'ping', id: 'big', data: { pad: 'x'.repeat(20_000) } }));
    expect((await client.nextOfType('error')).error?.code).toBe('frame_too_large');
    await stillUsable(client);
  });

  it('closes with 1009 only above the 64 KiB payload limit', async () => {
    const other = await connect(stack.realtime!.wsUrl, customer.token);
    other.sendRaw('x'.repeat(70 * 1024));
    expect(await other.closed).toBe(1009);
  });

  it('answers a message the role may not send with forbidden', async () => {
    expect((await client.request('driver.follow', { driverId: randomUUID() })).error?.code).toBe('forbidden');
    await stillUsable(client);
  });

  it('turns a handler AppError into an error frame with its code and details', async () => {
    const answer = await client.request('ride.cancel', { rideId: randomUUID(), reason: 'refuse' });
    expect(answer).toEqual({ type: 'error', id: answer.id, error: { code: 'invalid_transition', message: 'the probe refuses', details: { from: 'x' } } });
  });

  it('turns an unexpected handler failure into internal_error without a stack and stays up', async () => {
    const answer = await client.request('ride.cancel', { rideId: randomUUID(), reason: 'throw' });
    expect(answer.error).toEqual({ code: 'internal_error', message: expect.any(String) });
    expect(JSON.stringify(answer)).not.toContain('boom');
    await stillUsable(client);
  });

  it('reports a failed message sent without id as an error frame without id, and acks nothing else', async () => {
    client.send('location.update', { lat: 24.86, lng: 67.0 });
    const error = await client.nextOfType('error');
    expect(error).toEqual({ type: 'error', error: { code: 'driver_offline', message: expect.any(String) } });
  });

  it('reports an asynchronous handler failure of a message without id as an error frame without id', async () => {
    client.send('ride.cancel', { rideId: randomUUID(), reason: 'refuse' });
    const error = await client.nextOfType('error');
    expect(error).toEqual({ type: 'error', error: { code: 'invalid_transition', message: 'the probe refuses', details: { from: 'x' } } });
    await stillUsable(client);
  });

  it('answers a message no module of this deployment serves with service_unavailable, after the role check', async () => {
    expect((await client.request('bid.place', { rideId: randomUUID(), fare: 500 })).error?.code).toBe('service_unavailable');
    expect((await client.request('ride.raise_fare', { rideId: randomUUID(), fare: 500 })).error?.code).toBe('forbidden');
  });

  it('survives a seeded fuzz of 3000 random frames and answers every frame that carries an id', async () => {
    const random = createRng(20261124).next;
    const types = ['ping', 'driver.online', 'driver.offline', 'location.update', 'driver.follow', 'ride.cancel', 'ride.request', 'bid.place', 'nope', '', 'x'.repeat(70)];
    const values = (): unknown => {
      const pick = Math.floor(random() * 9);
      return [null, true, -1, 1e308, 'str', [], {}, { lat: random() * 200 - 100, lng: random() * 400 - 200 }, 'ü'.repeat(5)][pick];
    };
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const id = `fz-${i}`;
      const shape = random();
      let frame: string;
      if (shape < 0.1) {
        frame = JSON.stringify({ type: types[Math.floor(random() * types.length)], id, data: values() });
      } else if (shape < 0.2) {
        frame = JSON.stringify({ type: values(), id, data: { rideId: 'not-a-uuid', reason: values() } });
      } else {
        const data: Record<string, unknown> = {};
        for (const key of ['lat', 'lng', 'heading', 'driverId', 'rideId', 'reason', 'fare', 'junk']) if (random() < 0.4) data[key] = values();
        if (random() < 0.3) Object.assign(data, { lat: 24.8 + random() * 0.1, lng: 67 + random() * 0.1 });
        frame = JSON.stringify({ type: types[Math.floor(random() * types.length)], id, data });
      }
      ids.push(id);
      client.sendRaw(frame);
      if (random() < 0.05) client.sendRaw(Buffer.from([0xff, 0xfe, 0x00, Math.floor(random() * 255)]));
    }
    const answered = new Set<string>();
    await client.next((f: Frame) => {
      if (f.id?.startsWith('fz-') && (f.type === 'ack' || f.type === 'error')) answered.add(f.id);
      return answered.size === ids.length;
    }, 20_000);
    expect(answered.size).toBe(3000);
    await stillUsable(client);
  });

  it('reports connection counts per role in health and exposes the counters in /metrics', async () => {
    const health = await (await fetch(`${stack.realtime!.url}/api/health`)).json();
    expect(health.connections).toEqual({ drivers: 1, customers: 0, operators: 0 });
    const metrics = await (await fetch(`${stack.realtime!.url}/metrics`)).text();
    expect(metrics).toMatch(/drivrr_ws_connections\{role="driver"\} 1/);
    expect(metrics).toMatch(/drivrr_ws_messages_in_total\{type="ping"\} [1-9]/);
    expect(metrics).toMatch(/drivrr_ws_messages_in_total\{type="invalid"\} [1-9]/);
    expect(metrics).toMatch(/drivrr_ws_messages_out_total\{type="ack"\} [1-9]/);
    expect(metrics).toMatch(/drivrr_ws_error_frames_total\{code="validation_failed"\} [1-9]/);
    expect(metrics).toContain('drivrr_ws_dropped_frames_total{reason="backpressure_coalesced"}');
    expect(metrics).toContain('drivrr_realtime_nodejs_eventloop_lag_seconds');
  });
});
