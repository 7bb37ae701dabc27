/**
 * Failures of a cluster: a node killed with SIGKILL mid-ride (a child process), and Redis
 * restarted mid-negotiation (this test's own redis-server on a spare port, never the shared one).
 * Timings are short through env; every wait polls for its condition with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import type { RealtimeServer } from '@drivrr/server-realtime';
import { startClusterStack, type ClusterStack } from '../../../test-support/cluster.js';
import { createUser } from '../../../test-support/stack.js';
import { eventually } from '../support/client.js';
import { WsTestClient } from '../rides/support/ws-client.js';

const PICKUP = KARACHI_CENTER;
const DROPOFF = moveM(PICKUP, 45, 5_000);
const GRACE_MS = 1_500;
const DEAD_MS = 2_000;
const ENV = { MATCH_STEP_MS: '200', MATCH_BATCH: '10', REQUEST_TTL_MS: '60000', BID_TTL_MS: '30000', DRIVER_GRACE_MS: String(GRACE_MS), CLUSTER_NODE_DEAD_MS: String(DEAD_MS) };
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track<T extends { close(): Promise<void> }>(client: T): T {
  cleanups.push(() => client.close());
  return client;
}

async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function healthStatus(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/api/health`)).status;
  } catch {
    return 0;
  }
}

function startChildNode(env: Record<string, string>, port: number): ChildProcess {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env, REALTIME_PORT: String(port), REALTIME_NODE_ID: 'node-k', LOG_LEVEL: 'silent' }, stdio: 'ignore' });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

function startRedis(port: number): ChildProcess {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  return child;
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

describe('a cluster when something fails', () => {
  it('keeps a ride whose driver\'s node was killed: the driver resumes on another node, and the dead node\'s idle drivers leave after the grace', async () => {
    // Arrange: nodes A and B in this process, node K a child process; the driver of the ride and an idle driver on K.
    const cluster: ClusterStack = await startClusterStack({ nodes: 2, env: ENV });
    cleanups.push(() => cluster.stop());
    const [a, b] = cluster.nodes as [RealtimeServer, RealtimeServer];
    const port = await sparePort();
    const child = startChildNode(cluster.env, port);
    const k = { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` };
    await eventually(async () => expect(await healthStatus(k.url)).toBe(200), 15_000);

    const [driverUser, idleUser, bidderUser, customerUser, otherCustomerUser] = await Promise.all([
      createUser(cluster.stack, 'driver'), createUser(cluster.stack, 'driver'), createUser(cluster.stack, 'driver'), createUser(cluster.stack, 'customer'), createUser(cluster.stack, 'customer'),
    ]);
    const driverOnK = (await WsTestClient.session(k.wsUrl, driverUser.token)).client;
    const idleOnK = (await WsTestClient.session(k.wsUrl, idleUser.token)).client;
    const bidderOnK = (await WsTestClient.session(k.wsUrl, bidderUser.token)).client;
    await driverOnK.request('driver.online', moveM(PICKUP, 0, 200));
    const customer = track((await WsTestClient.session(a.wsUrl, customerUser.token)).client);
    const { rideId } = await customer.request<{ rideId: string }>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    await driverOnK.waitFor('ride.requested', (d) => d.ride.id === rideId);
    const placed = await driverOnK.request<{ bid: { id: string } }>('bid.place', { rideId, fare: 50_000 });
    await customer.waitFor('bid.received', (d) => d.bid.id === placed.bid.id);
    await customer.request('bid.accept', { rideId, bidId: placed.bid.id });
    await customer.waitFor('ride.assigned', (d) => d.ride.id === rideId);
    // A second ride, still in negotiation: a driver on K holds an open bid on it.
    const FAR = moveM(PICKUP, 90, 8_000);
    await bidderOnK.request('driver.online', moveM(FAR, 0, 200));
    await idleOnK.request('driver.online', moveM(PICKUP, 90, 300));
    const otherCustomer = track((await WsTestClient.session(b.wsUrl, otherCustomerUser.token)).client);
    const other = await otherCustomer.request<{ rideId: string }>('ride.request', { pickup: FAR, dropoff: PICKUP, fare: 50_000, paymentMethod: 'cash' });
    await bidderOnK.waitFor('ride.requested', (d) => d.ride.id === other.rideId);
    const openBid = await bidderOnK.request<{ bid: { id: string } }>('bid.place', { rideId: other.rideId, fare: 50_000 });
    await otherCustomer.waitFor('bid.received', (d) => d.bid.id === openBid.bid.id);

    // Act: SIGKILL node K (no clean shutdown); the driver's app reconnects to node B within the grace.
    await stopProcess(child, 'SIGKILL');
    const resumed = await WsTestClient.session(b.wsUrl, driverUser.token);
    const driverOnB = track(resumed.client);

    // Assert: the ride is there, resumable from the driver's last seq, and goes on across nodes.
    expect(resumed.state.activeRide?.id).toBe(rideId);
    const lastSeq = resumed.state.activeRide!.lastSeq!;
    const resume = await driverOnB.request<{ lastSeq: number }>('session.resume', { rideId, seq: 0 });
    expect(resume.lastSeq).toBe(lastSeq);
    await driverOnB.request('location.update', { ...moveM(PICKUP, 0, 150), heading: 10 });
    await customer.waitFor('driver.location', (d) => d.driverId === driverUser.id && d.heading === 10);
    await driverOnB.request('ride.arrived', { rideId });
    await customer.waitFor('ride.status', (d) => d.rideId === rideId && d.status === 'arrived');
    // The driver kept his state on the new node: on the ride, never offered another.
    expect(b.inspect.presence.get(driverUser.id)?.activity).toBe('on_ride');
    // The bidder reconnects to A within the grace: his open bid stands, and the customer can take it.
    const bidderOnA = track((await WsTestClient.session(a.wsUrl, bidderUser.token)).client);
    await otherCustomer.request('bid.accept', { rideId: other.rideId, bidId: openBid.bid.id });
    await bidderOnA.waitFor('ride.assigned', (d) => d.ride.id === other.rideId);
    expect(otherCustomer.all('bid.withdrawn')).toEqual([]);

    // The idle driver who never came back leaves every node's nearest answers (grace + at most 15 s after death is noticed).
    await eventually(async () => {
      for (const node of [a, b]) expect((await node.inspect.presence.nearestIdle(PICKUP, 5_000, 10)).map((d) => d.driverId)).not.toContain(idleUser.id);
    }, DEAD_MS + GRACE_MS + 15_000);
    // The driver of the ride did not: he reconnected within the grace.
    const stillOnline = await cluster.redis.connect().then(() => cluster.redis.exists(`${cluster.prefix}d:${driverUser.id}`));
    expect(stillOnline).toBe(1);
    await driverOnB.request('ride.start', { rideId });
    await driverOnB.request('ride.complete', { rideId });
    await customer.waitFor('ride.status', (d) => d.rideId === rideId && d.status === 'completed');
  }, 45_000);

  it('recovers by itself when Redis restarts mid-negotiation: 503 while it is down, then a bid reaches the customer on another node', async () => {
    // Arrange: this test's own Redis; nodes A and B on it; a driver on B holds an offer of a ride requested on A.
    const redisPort = await sparePort();
    let redis = startRedis(redisPort);
    cleanups.push(() => stopProcess(redis, 'SIGKILL'));
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    await redisAnswers(redisUrl);
    const cluster = await startClusterStack({ nodes: 2, env: ENV, redisUrl });
    cleanups.push(() => cluster.stop());
    const [a, b] = cluster.nodes as [RealtimeServer, RealtimeServer];
    const [driverUser, customerUser] = await Promise.all([createUser(cluster.stack, 'driver'), createUser(cluster.stack, 'customer')]);
    const driver = track((await WsTestClient.session(b.wsUrl, driverUser.token)).client);
    await driver.request('driver.online', moveM(PICKUP, 0, 200));
    const customer = track((await WsTestClient.session(a.wsUrl, customerUser.token)).client);
    const { rideId } = await customer.request<{ rideId: string }>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    await driver.waitFor('ride.requested', (d) => d.ride.id === rideId);

    // Act: Redis goes away (its data with it), then comes back on the same port.
    await stopProcess(redis, 'SIGKILL');
    await eventually(async () => {
      expect(await healthStatus(a.url)).toBe(503);
      expect(await healthStatus(b.url)).toBe(503);
    }, 10_000);
    const down = await (await fetch(`${a.url}/api/health`)).json();
    expect(down).toMatchObject({ status: 'degraded', node: { mode: 'cluster', redis: { ok: false } } });
    expect((await fetch(`${a.url}/api/live`)).status).toBe(200);
    redis = startRedis(redisPort);

    // Assert: both nodes recover by themselves; subscriptions are back: a bid placed now reaches the customer on A.
    await eventually(async () => {
      expect(await healthStatus(a.url)).toBe(200);
      expect(await healthStatus(b.url)).toBe(200);
    }, 15_000);
    await eventually(async () => {
      expect((await a.inspect.presence.nearestIdle(PICKUP, 5_000, 10)).map((d) => d.driverId)).toContain(driverUser.id);
    }, 10_000);
    const placed = await driver.request<{ bid: { id: string } }>('bid.place', { rideId, fare: 50_000 });
    await customer.waitFor('bid.received', (d) => d.bid.id === placed.bid.id);
    await customer.request('bid.accept', { rideId, bidId: placed.bid.id });
    await driver.waitFor('ride.assigned', (d) => d.ride.id === rideId);
  }, 45_000);
});

async function redisAnswers(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await eventually(async () => {
      if (client.status !== 'ready') await client.connect().catch(() => {});
      expect(await client.ping()).toBe('PONG');
    }, 5_000);
  } finally {
    client.disconnect();
  }
}
