/**
 * The directory of who is connected on the other nodes (cluster/connections.ts): seats on nodes that
 * stop being live go at the heartbeat's sweep, also when the sweep skips the walk because the live
 * nodes did not change. Against the Redis at TEST_REDIS_URL, under a key prefix of its own.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@drivrr/shared/logger';
import { ClusterConnections } from '../../src/cluster/connections.js';
import { ClusterNode } from '../../src/cluster/node.js';
import { clusterKeys, deleteKeysWithPrefix } from '../../src/cluster/redis.js';
import { TEST_REDIS_URL } from '../../../test-support/cluster.js';

describe('the directory of sockets on other nodes', () => {
  const prefix = `test:connections:${randomUUID()}:`;
  const keys = clusterKeys(prefix);
  const admin = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const node = new ClusterNode(
    { redisUrl: TEST_REDIS_URL, prefix, nodeId: 'here', nodeUrl: 'http://127.0.0.1:1', heartbeatMs: 60_000, deadAfterMs: 120_000, locationBatchMs: 5, presenceFlushMs: 100 },
    1_000,
    silentLogger,
  );
  const connections = new ClusterConnections(node);

  /** Another node in the registry, with these users connected to it. */
  async function otherNode(id: string, userIds: string[]): Promise<void> {
    await admin.hset(keys.nodes, id, JSON.stringify({ id, url: `http://${id}`, lastSeenAt: Date.now(), connections: {} }));
    for (const userId of userIds) await admin.hset(keys.users(id), userId, Date.now());
  }

  beforeAll(async () => {
    await node.start({ connections: () => ({ drivers: 0, customers: 0, operators: 0 }), driversEnded: () => {}, nodesGone: () => {} });
    connections.bind({ connectedAt: () => undefined, evict: () => {}, deliver: () => false, each: () => [] });
  });

  afterAll(async () => {
    await node.stop();
    await deleteKeysWithPrefix(admin, prefix);
    admin.disconnect();
  });

  it('drops the seats of a node that left the live set, and of a node seated after a sweep that did not list it', async () => {
    // Arrange: users on nodes x and y.
    await otherNode('x', ['u1']);
    await otherNode('y', ['u2']);
    await connections.load();
    expect([connections.nodeOf('u1'), connections.nodeOf('u2')]).toEqual(['x', 'y']);

    // Act + Assert: both live, twice (the second sweep skips the walk): nothing goes.
    connections.keepNodes(new Set(['here', 'x', 'y']));
    connections.keepNodes(new Set(['here', 'x', 'y']));
    expect([connections.nodeOf('u1'), connections.nodeOf('u2')]).toEqual(['x', 'y']);

    // y is no longer live: its seat goes.
    connections.keepNodes(new Set(['here', 'x']));
    expect([connections.nodeOf('u1'), connections.nodeOf('u2')]).toEqual(['x', undefined]);

    // A seat on z arrives after that sweep; the next one lists the same live nodes, but must not skip it.
    await otherNode('z', ['u3']);
    await connections.load();
    expect(connections.nodeOf('u3')).toBe('z');
    connections.keepNodes(new Set(['here', 'x']));
    expect([connections.nodeOf('u1'), connections.nodeOf('u3')]).toEqual(['x', undefined]);
  });
});
