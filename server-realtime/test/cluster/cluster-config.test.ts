/** Cluster mode's configuration: unset REDIS_URL is single mode; bad values stop the start with the variable's name. */
import { describe, expect, it } from 'vitest';
import { loadRealtimeConfig } from '@drivrr/server-realtime';
import { generateSigningKeys } from '@drivrr/shared';

const BASE = { DATABASE_URL: 'postgres://localhost/x', JWT_PUBLIC_KEY: generateSigningKeys().publicKeyPem };

describe('the cluster configuration of the realtime service', () => {
  it('is single mode without REDIS_URL (or with it empty), with a generated node id', () => {
    const config = loadRealtimeConfig(BASE);
    expect(config.cluster).toBeUndefined();
    expect(config.nodeId).toMatch(/^[A-Za-z0-9_.-]+-\d+-[0-9a-f]{6}$/);
    expect(loadRealtimeConfig({ ...BASE, REDIS_URL: '' }).cluster).toBeUndefined();
  });

  it('is cluster mode with REDIS_URL, the default prefix drivrr: and the timings given', () => {
    const config = loadRealtimeConfig({ ...BASE, REDIS_URL: 'redis://127.0.0.1:6379/2', REALTIME_NODE_ID: 'rt-1', REALTIME_NODE_URL: 'http://10.0.0.5:8081', CLUSTER_HEARTBEAT_MS: '500' });
    expect(config.cluster).toEqual({ redisUrl: 'redis://127.0.0.1:6379/2', prefix: 'drivrr:', nodeId: 'rt-1', nodeUrl: 'http://10.0.0.5:8081', heartbeatMs: 500, deadAfterMs: 10_000, locationBatchMs: 10, presenceFlushMs: 100 });
    expect(config.nodeId).toBe('rt-1');
  });

  it('takes the batching windows of the hot path (0 ms locations: one event-loop turn)', () => {
    const config = loadRealtimeConfig({ ...BASE, REDIS_URL: 'redis://x', CLUSTER_LOCATION_BATCH_MS: '0', CLUSTER_PRESENCE_FLUSH_MS: '250' });
    expect(config.cluster).toMatchObject({ locationBatchMs: 0, presenceFlushMs: 250 });
  });

  it.each([
    ['REDIS_URL', { REDIS_URL: 'http://127.0.0.1:6379' }],
    ['REDIS_PREFIX', { REDIS_URL: 'redis://x', REDIS_PREFIX: 'has space' }],
    ['REALTIME_NODE_ID', { REALTIME_NODE_ID: 'a/b' }],
    ['REALTIME_NODE_URL', { REALTIME_NODE_URL: 'ftp://x' }],
    ['CLUSTER_NODE_DEAD_MS', { CLUSTER_HEARTBEAT_MS: '2000', CLUSTER_NODE_DEAD_MS: '3000' }],
    ['CLUSTER_LOCATION_BATCH_MS', { CLUSTER_LOCATION_BATCH_MS: '-1' }],
    ['CLUSTER_PRESENCE_FLUSH_MS', { CLUSTER_PRESENCE_FLUSH_MS: '0' }],
  ])('refuses a bad %s, naming it', (name, env) => {
    expect(() => loadRealtimeConfig({ ...BASE, ...env })).toThrow(new RegExp(name));
  });
});
