/**
 * Several realtime nodes on one PostgreSQL and one Redis, in this process (port 0 each), for the
 * cluster tests. Every stack gets its own REDIS_PREFIX; stop() deletes its keys (SCAN + UNLINK).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '@drivrr/shared/logger';
import { deleteKeysWithPrefix, loadRealtimeConfig, startRealtimeServer, type RealtimeModuleFactory, type RealtimeServer, type VirtualClock } from '@drivrr/server-realtime';
import { startTestStack, type TestStack } from './stack.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ClusterStack {
  stack: TestStack;
  nodes: RealtimeServer[];
  prefix: string;
  /** The env every node was started with (start another node, or a child process, with it). */
  env: Record<string, string>;
  redis: Redis;
  startNode(extraEnv?: Record<string, string>): Promise<RealtimeServer>;
  stop(): Promise<void>;
}

export interface ClusterStackOptions {
  nodes: number;
  env?: Record<string, string>;
  clock?: VirtualClock;
  /** Another Redis than the shared one (a test that restarts its own); its keys are not cleaned. */
  redisUrl?: string;
  /** Feature modules of every node (default: all); each node calls the factories once. */
  modules?: readonly RealtimeModuleFactory[];
}

export async function startClusterStack(options: ClusterStackOptions): Promise<ClusterStack> {
  const prefix = `drivrr-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
  const clusterEnv = {
    REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    CLUSTER_HEARTBEAT_MS: '200',
    CLUSTER_NODE_DEAD_MS: '3000',
    ...options.env,
  };
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  const stack = await startTestStack({
    auth: false,
    realtimeEnv: { ...clusterEnv, REALTIME_NODE_ID: 'node-a' },
    ...(options.clock ? { realtimeClock: options.clock } : {}),
    ...(options.modules ? { realtimeModules: options.modules } : {}),
  });
  const env = { ...stack.env, ...clusterEnv };
  const nodes: RealtimeServer[] = [stack.realtime!];
  const extra: RealtimeServer[] = [];
  const startNode = async (extraEnv: Record<string, string> = {}): Promise<RealtimeServer> => {
    const id = `node-${String.fromCharCode(97 + nodes.length)}`;
    const node = await startRealtimeServer(loadRealtimeConfig({ ...env, REALTIME_NODE_ID: id, ...extraEnv }), {
      logger: silentLogger,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.modules ? { modules: options.modules } : {}),
    });
    nodes.push(node);
    extra.push(node);
    return node;
  };
  for (let i = 1; i < options.nodes; i++) await startNode();
  return {
    stack,
    nodes,
    prefix,
    env,
    redis,
    startNode,
    async stop() {
      await Promise.all(extra.map((node) => node.stop()));
      await stack.stop();
      if (options.redisUrl === undefined) {
        await redis.connect().catch(() => {});
        await deleteKeysWithPrefix(redis, prefix);
      }
      redis.disconnect();
    },
  };
}
