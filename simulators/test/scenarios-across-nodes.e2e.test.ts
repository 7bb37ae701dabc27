/**
 * Scenarios with the customers on one realtime node and the drivers on another (the runner's
 * `driverWsUrl`, the CLI's `--driver-realtime-url`): two nodes of a cluster on the test PostgreSQL
 * and the local Redis under a key prefix of this test's own, so that the ride only works if every
 * offer, bid, accept and location crosses the cluster.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@drivrr/shared/logger';
import { deleteKeysWithPrefix, loadRealtimeConfig, startRealtimeServer, type RealtimeServer } from '@drivrr/server-realtime';
import { findScenario, runScenario, type ScenarioEvent } from '@drivrr/simulators';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `drivrr-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
const clusterEnv = { REDIS_URL, REDIS_PREFIX: prefix, CLUSTER_HEARTBEAT_MS: '200', CLUSTER_NODE_DEAD_MS: '3000' };

let stack: TestStack;
let nodeA: RealtimeServer;
let nodeB: RealtimeServer;

beforeAll(async () => {
  stack = await startTestStack({ authEnv: { OTP_TEST_PHONES: '+92399*=000000' }, realtimeEnv: { ...clusterEnv, REALTIME_NODE_ID: 'node-a' } });
  nodeA = stack.realtime!;
  nodeB = await startRealtimeServer(loadRealtimeConfig({ ...stack.env, ...clusterEnv, REALTIME_NODE_ID: 'node-b' }), { logger: silentLogger });
}, 60_000);

afterAll(async () => {
  await nodeB?.stop();
  await stack?.stop();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('a scenario whose customers and drivers are on different nodes', () => {
  it.each(['happy-path', 'bid-race', 'share-trip', 'chat-at-pickup'])('%s: the drivers connect where driverWsUrl says, the customers where wsUrl says, and every expectation holds', async (name) => {
    const scenario = findScenario(name)!;
    const roles = Object.values(scenario.actors).map((actor) => actor.role);
    const where: { a: Record<string, number>; b: Record<string, number> }[] = [];
    const onEvent = (event: ScenarioEvent) => {
      // every actor is connected before the first step: count the sockets of each node then
      if (event.kind === 'step' && event.index === 1) where.push({ a: nodeA.inspect.connections(), b: nodeB.inspect.connections() });
    };

    const result = await runScenario(scenario, { authUrl: stack.auth!.url, wsUrl: nodeA.wsUrl, driverWsUrl: nodeB.wsUrl, onEvent });

    const failed = result.steps.find((step) => step.status === 'failed');
    expect(result.error ?? '', failed ? `step ${failed.index}: ${failed.title}` : '').toBe('');
    expect(result.ok).toBe(true);
    expect(result.protocolIssues).toEqual([]);
    expect(where[0]!.a).toMatchObject({ customer: roles.filter((r) => r === 'customer').length, driver: 0 });
    expect(where[0]!.b).toMatchObject({ customer: 0, driver: roles.filter((r) => r === 'driver').length });
  }, 60_000);
});
