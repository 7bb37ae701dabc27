/**
 * start()/stop() of the realtime service; tests call start() with port 0.
 * One HTTP server carries `/api/health`, `/metrics`, the modules' routes and the WebSocket
 * upgrade at `/ws`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, pingDatabase } from '@drivrr/shared/db';
import { createLogger, type Logger } from '@drivrr/shared/logger';
import type { HealthRealtime, Role } from '@drivrr/shared/protocol';
import { describeListenError, packageVersion } from '@drivrr/shared/service';
import type { RealtimeConfig } from './config.js';
import { RealtimeMetrics } from './metrics.js';
import { SystemClock, type RideClock } from './rides/clock.js';
import { createModules, realtimeModules, startModules, stopModules, type RealtimeModuleFactory } from './modules.js';
import type { DriverPresence, LocationFollows, RealtimeModule } from './ws/contracts.js';
import { CLOSE_GOING_AWAY, RealtimeGateway } from './ws/gateway.js';
import { PostgresSessionRevocations, type SessionRevocations } from './sessions/revocations.js';
import type { Clock as SessionClock } from './ws/clock.js';
import type { SocketStats } from './ws/hub.js';
import { WebSocketTransport } from './ws/transport.js';
import { hostname } from 'node:os';
import { ClusterNode } from './cluster/node.js';

export interface RealtimeServer {
  port: number;
  url: string;
  wsUrl: string;
  /** The feature modules, by name (tests reach a module's own API through it). */
  modules: ReadonlyMap<string, RealtimeModule>;
  /** In-process introspection, for tests and benchmarks (never exposed over the network). */
  inspect: {
    connections(): Record<Role, number>;
    socketStats(userId: string): SocketStats | undefined;
    presence: DriverPresence;
    follows: LocationFollows;
  };
  stop(): Promise<void>;
}

export interface RealtimeServerOptions {
  logger?: Logger;
  /** Feature modules to wire (default: every module in modules.ts). */
  modules?: readonly RealtimeModuleFactory[];
  /** The clock of the feature modules (rides, track, locations); default a system clock the server owns. Tests drive time with a VirtualClock. */
  clock?: RideClock;
  /** The clock of sockets' token lifetimes (tests pass a virtual one; default the system clock). */
  sessionClock?: SessionClock;
}

export const REALTIME_VERSION = packageVersion(new URL('../package.json', import.meta.url));

export async function startRealtimeServer(config: RealtimeConfig, options: RealtimeServerOptions = {}): Promise<RealtimeServer> {
  const logger = options.logger ?? createLogger('realtime', config.logLevel);
  const pool = createPool(config.databaseUrl, { applicationName: 'drivrr-realtime', ...config.db });
  const startedAt = Date.now();
  // The gateway is created first so the metrics can read its counts; both live as long as the server.
  let gateway: RealtimeGateway | undefined;
  const metrics = new RealtimeMetrics(() => gateway?.connectionCounts() ?? { customer: 0, driver: 0, operator: 0 });
  const revocations: SessionRevocations = new PostgresSessionRevocations(pool, config.ws.revocationPollMs, logger);
  // Cluster mode only: single mode creates nothing that knows Redis.
  const clusterNode = config.cluster ? new ClusterNode(config.cluster, config.ws.driverGraceMs, logger) : undefined;
  gateway = new RealtimeGateway({
    ws: config.ws, jwtPublicKeyPem: config.jwtPublicKeyPem, pool, logger, metrics, revocations,
    ...(options.sessionClock ? { clock: options.sessionClock } : {}),
    ...(clusterNode ? { cluster: clusterNode } : {}),
  });
  const liveGateway = gateway;
  const transport = new WebSocketTransport('/ws', liveGateway);

  // One clock for every module; the server stops the one it made (no more due work), then the modules.
  const clock = options.clock ?? new SystemClock();
  const stopFeatures = async (): Promise<void> => {
    if (!options.clock) clock.stop();
    await stopModules(modules, logger);
  };
  let modules: RealtimeModule[] = [];
  try {
    await liveGateway.startCluster();
    modules = createModules({ ...liveGateway.moduleDeps(), pool, config, logger, clock }, options.modules ?? realtimeModules);
    await startModules(modules);
    await revocations.start();
  } catch (error) {
    revocations.stop();
    liveGateway.stop();
    await stopFeatures();
    await clusterNode?.stop();
    await pool.end().catch(() => {});
    throw error;
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/api/health') {
      void Promise.all([pingDatabase(pool), clusterHealth(clusterNode)]).then(([db, cluster]) => {
        const counts = liveGateway.connectionCounts();
        const ok = db.ok && (cluster === undefined || cluster.redis.ok);
        const body: HealthRealtime = {
          status: ok ? 'ok' : 'degraded',
          service: 'realtime',
          version: REALTIME_VERSION,
          uptimeS: Math.round((Date.now() - startedAt) / 1000),
          connections: { drivers: counts.driver, customers: counts.customer, operators: counts.operator },
          db,
          node: cluster === undefined ? { id: config.nodeId, mode: 'single' } : { id: config.nodeId, mode: 'cluster', redis: cluster.redis },
          ...(cluster?.nodes ? { cluster: { nodes: cluster.nodes } } : {}),
        };
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      return;
    }
    if (req.method === 'GET' && path === '/api/live') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      metrics
        .render()
        .then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body))
        .catch((error: unknown) => {
          logger.error({ err: error }, 'rendering metrics failed');
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal_error', message: 'metrics unavailable' } }));
        });
      return;
    }
    for (const module of modules) {
      try {
        if (module.httpHandler?.(req, res)) return;
      } catch (error) {
        logger.error({ err: error, module: module.name }, 'a module HTTP route failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal_error', message: 'the request failed' } }));
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: `no route for ${req.method} ${path}` } }));
  });
  server.on('upgrade', (req, socket, head) => transport.handleUpgrade(req, socket, head));

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    revocations.stop();
    liveGateway.stop();
    await stopFeatures();
    await clusterNode?.stop();
    await pool.end().catch(() => {});
    throw new Error(describeListenError(error, config.port, 'realtime'), { cause: error });
  }
  const port = (server.address() as AddressInfo).port;
  if (clusterNode) {
    const advertisedHost = config.host === '0.0.0.0' || config.host === '::' ? hostname() : config.host;
    clusterNode.url = config.cluster?.nodeUrl ?? `http://${advertisedHost}:${port}`;
    await clusterNode.heartbeat();
  }
  logger.info({ port, host: config.host, modules: modules.map((m) => m.name) }, 'realtime service listening');

  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    modules: new Map(modules.map((m) => [m.name, m])),
    inspect: {
      connections: () => liveGateway.connectionCounts(),
      socketStats: (userId) => liveGateway.socketStats(userId),
      presence: liveGateway.presence,
      follows: liveGateway.follows,
    },
    stop() {
      stopped ??= (async () => {
        // 1. No new sockets or requests. 2. Modules stop their timers while sockets are still up.
        // 3. Every client gets 1001 (terminated after a timeout). 4. The pool ends last.
        transport.stopAccepting();
        const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await stopFeatures();
        revocations.stop();
        liveGateway.stop();
        await transport.closeAll(CLOSE_GOING_AWAY, 'server shutting down', config.ws.closeTimeoutMs);
        const forceTimer = setTimeout(() => server.closeAllConnections(), 5_000);
        forceTimer.unref();
        await httpClosed;
        clearTimeout(forceTimer);
        await clusterNode?.stop();
        await pool.end().catch(() => {});
        logger.info('realtime service stopped');
      })();
      return stopped;
    },
  };
}

/** Cluster mode: Redis's answer and the registry's live nodes (undefined in single mode). */
async function clusterHealth(node: ClusterNode | undefined): Promise<{ redis: { ok: boolean; latencyMs: number | null }; nodes?: NonNullable<HealthRealtime['cluster']>['nodes'] } | undefined> {
  if (!node) return undefined;
  const redis = await node.ping();
  if (!redis.ok) return { redis };
  try {
    const nodes = (await node.nodes()).map((entry) => ({ ...entry, lastSeenAt: new Date(entry.lastSeenAt).toISOString() }));
    return { redis, nodes };
  } catch {
    return { redis: { ok: false, latencyMs: null } };
  }
}
