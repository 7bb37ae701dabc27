/**
 * The presence flush (cluster/presence.ts, the driverFixes script) writes a driver's position to the
 * shared `pos` hash only while the flushing node owns him: a fix still pending on a node that lost
 * the driver must neither overwrite the new owner's position nor bring an ended driver back into the
 * index. Readers merge the position with the driver's hash. Two nodes' presences against the Redis
 * at TEST_REDIS_URL, under a key prefix of its own.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM, type LatLng } from '@drivrr/shared';
import { silentLogger } from '@drivrr/shared/logger';
import { ClusterNode } from '../../src/cluster/node.js';
import { ClusterPresence } from '../../src/cluster/presence.js';
import { clusterKeys, deleteKeysWithPrefix } from '../../src/cluster/redis.js';
import type { DriverPresenceInfo } from '../../src/ws/contracts.js';
import { TEST_REDIS_URL } from '../../../test-support/cluster.js';
import { eventually } from '../support/client.js';

describe('the presence flush and the shared position hash', () => {
  const prefix = `test:presence-flush:${randomUUID()}:`;
  const keys = clusterKeys(prefix);
  const admin = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  // Flushes only when told to (stop()), so the test decides when the late write lands.
  const nodeConfig = (nodeId: string) => ({ redisUrl: TEST_REDIS_URL, prefix, nodeId, nodeUrl: `http://${nodeId}`, heartbeatMs: 60_000, deadAfterMs: 120_000, locationBatchMs: 5, presenceFlushMs: 60_000 });
  const a = new ClusterNode(nodeConfig('a'), 1_000, silentLogger);
  const b = new ClusterNode(nodeConfig('b'), 1_000, silentLogger);
  const hooks = { connections: () => ({ drivers: 0, customers: 0, operators: 0 }), driversEnded: () => {}, nodesGone: () => {} };

  const info = (driverId: string, at: LatLng, heading: number, updatedAt: number): DriverPresenceInfo => ({ driverId, location: { ...at }, heading, activity: 'idle', vehicleType: 'car', updatedAt });
  const storedPosition = async (driverId: string) => admin.hget(keys.positions, driverId);
  const ownerOf = async (driverId: string) => admin.hget(keys.driver(driverId), 'node');

  beforeAll(async () => {
    await Promise.all([a.start(hooks), b.start(hooks)]);
  });

  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await deleteKeysWithPrefix(admin, prefix);
    admin.disconnect();
  });

  /** A driver online on node a with a fix pending there (not yet flushed), then online on node b at `onBAt`. */
  async function takenOverWithFixPending(driverId: string, onBAt: LatLng) {
    const onA = new ClusterPresence(a);
    const onB = new ClusterPresence(b);
    onA.online(info(driverId, KARACHI_CENTER, 10, 1_000));
    await eventually(async () => expect(await ownerOf(driverId)).toBe('a'));
    onA.moved(info(driverId, moveM(KARACHI_CENTER, 90, 500), 20, 2_000));
    onB.online(info(driverId, onBAt, 30, 3_000));
    await eventually(async () => expect(await ownerOf(driverId)).toBe('b'));
    return { onA, onB };
  }

  it("leaves the new owner's position when a fix pending on the old node is written after the take-over", async () => {
    // Arrange
    const driverId = randomUUID();
    const onBAt = moveM(KARACHI_CENTER, 0, 2_000);
    const { onA, onB } = await takenOverWithFixPending(driverId, onBAt);

    // Act: node a writes its pending fix late (stop() flushes; a's PING answers after the script ran).
    onA.stop();
    await a.redis.ping();

    // Assert: b's position stands, in the shared hash and in the GEO set.
    expect(await storedPosition(driverId)).toBe(`${onBAt.lng}|${onBAt.lat}|30|3000`);
    const [[lng, lat]] = (await admin.geopos(keys.geo, driverId)) as [[string, string]];
    expect([Number(lat), Number(lng)].map((x) => x.toFixed(5))).toEqual([onBAt.lat, onBAt.lng].map((x) => x.toFixed(5)));
    onB.stop();
  });

  it('does not bring back a driver who went offline after another node took him over', async () => {
    // Arrange: taken over by b with a fix pending on a, then offline on b.
    const driverId = randomUUID();
    const { onA, onB } = await takenOverWithFixPending(driverId, moveM(KARACHI_CENTER, 0, 2_000));
    expect(await onB.end(driverId, 'offline')).toBe(true);

    // Act: node a's late flush.
    onA.stop();
    await a.redis.ping();

    // Assert: no position, no GEO member, no hash: the driver stays gone.
    expect(await storedPosition(driverId)).toBeNull();
    expect(await admin.geopos(keys.geo, driverId)).toEqual([null]);
    expect(await admin.exists(keys.driver(driverId))).toBe(0);
    onB.stop();
  });

  it("writes the position of a driver the node still owns, and the node's lookup reads it back", async () => {
    // Arrange: online on a, then a fix pending there.
    const driverId = randomUUID();
    const onA = new ClusterPresence(a);
    const onB = new ClusterPresence(b);
    onA.online(info(driverId, KARACHI_CENTER, 10, 1_000));
    await eventually(async () => expect(await ownerOf(driverId)).toBe('a'));
    const movedTo = moveM(KARACHI_CENTER, 90, 500);
    onA.moved(info(driverId, movedTo, 20, 2_000));

    // Act
    onA.stop();
    await a.redis.ping();

    // Assert: another node's lookup sees the fix.
    expect(await onB.lookup(driverId)).toEqual(info(driverId, movedTo, 20, 2_000));
    await onB.end(driverId, 'offline');
    onB.stop();
  });

  it('reads the position an older build wrote in the driver\'s own hash (before `pos`)', async () => {
    // Arrange: the layout of the build before the shared `pos` hash.
    const driverId = randomUUID();
    await admin.hset(keys.driver(driverId), 'node', 'a', 'grace', '0', 'bg', '0', 'activity', 'idle', 'vehicleType', 'car', 'lat', '24.86', 'lng', '67.01', 'heading', '45', 'updatedAt', '5000');

    // Act
    const reader = new ClusterPresence(b);
    const read = await reader.lookup(driverId);
    reader.stop();

    // Assert
    expect(read).toEqual(info(driverId, { lat: 24.86, lng: 67.01 }, 45, 5_000));
  });
});
