/**
 * A node's clean stop closes its Redis connections on purpose: a call still in flight then fails
 * ("Connection is closed"), and that is not an outage to report. Against the Redis at
 * TEST_REDIS_URL, under a key prefix of its own, cleaned up.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '@drivrr/shared/logger';
import { ClusterNode } from '../../src/cluster/node.js';
import { deleteKeysWithPrefix } from '../../src/cluster/redis.js';
import { TEST_REDIS_URL } from '../../../test-support/cluster.js';

function capturingLogger(): { logger: Logger; errors: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('realtime', 'info', sink), errors: () => lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50) };
}

describe('a cluster node stopping', () => {
  const prefix = `test:node-stop:${randomUUID()}:`;
  const admin = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });

  afterAll(async () => {
    await deleteKeysWithPrefix(admin, prefix);
    admin.disconnect();
  });

  it('reports a failing Redis call while running, and stays quiet about calls cut off by its own stop', async () => {
    // Arrange: a running node.
    const { logger, errors } = capturingLogger();
    const node = new ClusterNode(
      { redisUrl: TEST_REDIS_URL, prefix, nodeId: 'stopping', nodeUrl: 'http://127.0.0.1:1', heartbeatMs: 60_000, deadAfterMs: 120_000, locationBatchMs: 5, presenceFlushMs: 100 },
      1_000,
      logger,
    );
    await node.start({ connections: () => ({ drivers: 0, customers: 0, operators: 0 }), driversEnded: () => {}, nodesGone: () => {} });

    // Act + Assert: a failure while running is an outage, logged once.
    node.failed(new Error('timed out'), 'driver fix');
    expect(errors()).toHaveLength(1);
    await node.ping(); // Redis answers again: the next failure is news
    await node.stop();
    node.failed(new Error('Connection is closed.'), 'heartbeat');
    expect(errors()).toHaveLength(1);
  });
});
