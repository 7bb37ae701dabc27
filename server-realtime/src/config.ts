/** The realtime service's configuration: read from the environment once, validated, typed. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError, envField, parseEnv, type Env } from '@drivrr/shared';
import { databaseEnvShape, poolTimeoutsFrom } from '@drivrr/shared/db';
import { ridesConfigFrom, ridesEnvShape, type RidesConfig } from './rides/config.js';
import { opsConfigFrom, opsEnvShape, type OpsConfig } from './ops/config.js';

const schema = z.object({
  NODE_ENV: envField.nodeEnv(),
  LOG_LEVEL: envField.logLevel(),
  REALTIME_HOST: envField.host(),
  REALTIME_PORT: envField.port(8081),
  DATABASE_URL: envField.databaseUrl(),
  ...databaseEnvShape,
  /** PEM (SPKI) public key of the auth service; the realtime service never holds the private key. */
  JWT_PUBLIC_KEY: envField.pem(),
  /** Per-socket token bucket: sustained messages per second, and the burst allowed above it. */
  WS_RATE_PER_S: envField.number(20, 0.1, 1_000_000),
  WS_RATE_BURST: envField.int(40, 1, 1_000_000),
  /** Messages refused with rate_limited in a row (no accepted message between) before close 1008. */
  WS_FLOOD_CLOSE_AFTER: envField.int(60, 1, 1_000_000),
  /** Ping interval; a socket that missed one pong is terminated at the next tick (dead within 2 intervals). */
  HEARTBEAT_INTERVAL_MS: envField.int(15_000, 50, 600_000),
  /** A driver whose socket dropped stays online this long; a reconnect within it keeps the state. */
  DRIVER_GRACE_MS: envField.int(30_000, 0, 3_600_000),
  /** A message id already answered for a user within this window is answered again, not re-applied. */
  WS_DEDUPE_TTL_MS: envField.int(5 * 60_000, 1_000, 3_600_000),
  /** Past this many bytes queued on a socket, droppable frames (driver.location) are coalesced, latest wins. */
  WS_BACKPRESSURE_BYTES: envField.int(64 * 1024, 1_024, 64 * 1024 * 1024),
  /** Past this many bytes queued on a socket the client is not reading: it is terminated. */
  WS_MAX_BUFFERED_BYTES: envField.int(1024 * 1024, 4_096, 1024 * 1024 * 1024),
  /** How long stop() waits for clients to close after the 1001 close frame before terminating them. */
  WS_CLOSE_TIMEOUT_MS: envField.int(3_000, 0, 60_000),
  /** How often ended logins (logout, revoked refresh-token family) are looked up; their sockets close within this. */
  SESSION_REVOCATION_POLL_MS: envField.int(1_000, 50, 5_000),
  /** Development/QA only: customers may driver.follow any driver (refused when NODE_ENV=production). */
  ALLOW_ANY_FOLLOW: envField.bool(false),
  /** Set: this process is one node of a cluster on this Redis (redis:// or rediss://). Unset: one process, in memory. */
  REDIS_URL: z.preprocess(emptyAsUnset, z.string().regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL').optional()),
  /** Namespace of every Redis key and channel of this stack (two stacks on one Redis never see each other). */
  REDIS_PREFIX: z.preprocess(emptyAsUnset, z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only (1-64)').default('drivrr:')),
  /** This node's id in the registry (default: hostname-pid-random). */
  REALTIME_NODE_ID: z.preprocess(emptyAsUnset, z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits and _ . - only (1-100)').optional()),
  /** URL this node advertises in the registry (default http://<host>:<port> once listening). */
  REALTIME_NODE_URL: z.preprocess(emptyAsUnset, z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s):// URL').optional()),
  /** Cluster: how often a node writes its registry entry, renews its drivers and sweeps (ms). */
  CLUSTER_HEARTBEAT_MS: envField.int(2_000, 50, 60_000),
  /** Cluster: a node not seen for this long is dead; its drivers get the reconnect grace from then (ms). */
  CLUSTER_NODE_DEAD_MS: envField.int(10_000, 200, 600_000),
  /** Cluster: live locations for another node wait this long for company, one PUBLISH per node per window (ms; 0: per event-loop turn). */
  CLUSTER_LOCATION_BATCH_MS: envField.int(10, 0, 1_000),
  /** Cluster: drivers' latest fixes go to the shared index (nearest drivers, ops map) together this often (ms). */
  CLUSTER_PRESENCE_FLUSH_MS: envField.int(100, 1, 5_000),
  ...ridesEnvShape,
  ...opsEnvShape,
});

function emptyAsUnset(value: unknown): unknown {
  return value === '' ? undefined : value;
}

/** Cluster mode (REDIS_URL set): where Redis is and how nodes find each other. */
export interface ClusterConfig {
  redisUrl: string;
  prefix: string;
  nodeId: string;
  /** Advertised URL; undefined = http://<host>:<port> once listening. */
  nodeUrl: string | undefined;
  heartbeatMs: number;
  deadAfterMs: number;
  /** Live locations for another node are published together within this window (0: per event-loop turn). */
  locationBatchMs: number;
  /** Drivers' pending fixes are written to the shared index this often. */
  presenceFlushMs: number;
}

/** Transport limits and timers of the WebSocket layer (src/ws, src/presence). */
export interface WsConfig {
  ratePerS: number;
  rateBurst: number;
  floodCloseAfter: number;
  heartbeatIntervalMs: number;
  driverGraceMs: number;
  dedupeTtlMs: number;
  backpressureBytes: number;
  maxBufferedBytes: number;
  closeTimeoutMs: number;
  revocationPollMs: number;
  /** Customers may follow any driver (QA), not only the one of their active ride. */
  allowAnyFollow: boolean;
}

export type RealtimeConfig = {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  host: string;
  port: number;
  databaseUrl: string;
  /** Pool timeouts (DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS). */
  db: { connectionTimeoutMs: number; queryTimeoutMs: number };
  jwtPublicKeyPem: string;
  ws: WsConfig;
  /** Pricing, matching, timers and payments of rides (src/rides/config.ts). */
  rides: RidesConfig;
  /** The live operations map (src/ops/config.ts). */
  ops: OpsConfig;
  /** This process's node id (cluster or not: health shows it). */
  nodeId: string;
  /** Undefined: single mode (no Redis anywhere). */
  cluster: ClusterConfig | undefined;
};

export function loadRealtimeConfig(env: Env = process.env): RealtimeConfig {
  const e = parseEnv(schema, env);
  if (e.ALLOW_ANY_FOLLOW && e.NODE_ENV === 'production') {
    throw new ConfigError(['ALLOW_ANY_FOLLOW: lets any customer track any driver; refused when NODE_ENV=production (got "true")']);
  }
  if (e.CLUSTER_NODE_DEAD_MS < 2 * e.CLUSTER_HEARTBEAT_MS) {
    throw new ConfigError([`CLUSTER_NODE_DEAD_MS: must be at least twice CLUSTER_HEARTBEAT_MS (${e.CLUSTER_HEARTBEAT_MS}), or live nodes look dead (got ${e.CLUSTER_NODE_DEAD_MS})`]);
  }
  const nodeId = e.REALTIME_NODE_ID ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)}-${process.pid}-${randomBytes(3).toString('hex')}`;
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.REALTIME_HOST,
    port: e.REALTIME_PORT,
    databaseUrl: e.DATABASE_URL,
    db: poolTimeoutsFrom(e),
    jwtPublicKeyPem: e.JWT_PUBLIC_KEY,
    ws: {
      ratePerS: e.WS_RATE_PER_S,
      rateBurst: e.WS_RATE_BURST,
      floodCloseAfter: e.WS_FLOOD_CLOSE_AFTER,
      heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
      driverGraceMs: e.DRIVER_GRACE_MS,
      dedupeTtlMs: e.WS_DEDUPE_TTL_MS,
      backpressureBytes: e.WS_BACKPRESSURE_BYTES,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      closeTimeoutMs: e.WS_CLOSE_TIMEOUT_MS,
      revocationPollMs: e.SESSION_REVOCATION_POLL_MS,
      allowAnyFollow: e.ALLOW_ANY_FOLLOW,
    },
    rides: ridesConfigFrom(e),
    ops: opsConfigFrom(e),
    nodeId,
    cluster:
      e.REDIS_URL === undefined
        ? undefined
        : { redisUrl: e.REDIS_URL, prefix: e.REDIS_PREFIX, nodeId, nodeUrl: e.REALTIME_NODE_URL, heartbeatMs: e.CLUSTER_HEARTBEAT_MS, deadAfterMs: e.CLUSTER_NODE_DEAD_MS, locationBatchMs: e.CLUSTER_LOCATION_BATCH_MS, presenceFlushMs: e.CLUSTER_PRESENCE_FLUSH_MS },
  };
}
