/**
 * One realtime node of a cluster: its Redis connections, its channel subscriptions, the registry
 * (heartbeat, dead-node sweep) and the health view. The cross-node parts (connections.ts,
 * follows.ts, presence.ts, receipts.ts) register their message handlers and resync steps here.
 */
import type { Logger } from '@drivrr/shared/logger';
import type { Redis } from 'ioredis';
import type { ClusterConfig } from '../config.js';
import { clusterKeys, createCommandClient, createSubscriberClient, type ClusterKeys, type ClusterRedis } from './redis.js';

export interface NodeConnections {
  drivers: number;
  customers: number;
  operators: number;
}

export interface RegistryEntry {
  id: string;
  url: string;
  connections: NodeConnections;
  /** ms since epoch of the node's last heartbeat. */
  lastSeenAt: number;
}

/** A message on a channel: a one-letter tag, then `|`-separated fields; the last may hold anything (a frame). */
export type ChannelHandler = (fields: string[]) => void;

const PING_TIMEOUT_MS = 1_000;

export interface ClusterNodeHooks {
  /** This node's connection counts, for its registry entry. */
  connections(): NodeConnections;
  /** Orphaned drivers whose grace ran out, claimed by this node (it announces them offline). */
  driversEnded(driverIds: string[]): void;
  /** Nodes found dead this tick (every node sees them, the sweep itself runs once). */
  nodesGone(nodeIds: ReadonlySet<string>, live: ReadonlySet<string>): void;
}

export class ClusterNode {
  readonly keys: ClusterKeys;
  readonly redis: ClusterRedis;
  readonly id: string;
  url = '';
  private readonly sub: Redis;
  private readonly handlers = new Map<string, ChannelHandler>();
  private readonly resyncSteps: (() => Promise<void>)[] = [];
  private hooks: ClusterNodeHooks | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readySeen = false;
  private beats = 0;
  private resyncing = false;
  private stopped = false;
  private live = new Set<string>();
  private lastPublish: Promise<void> = Promise.resolve();
  /** Commands that failed since the last success (for logs: one line per outage, not per fix). */
  private failing = false;

  constructor(
    readonly config: ClusterConfig,
    readonly graceMs: number,
    private readonly logger: Logger,
  ) {
    this.keys = clusterKeys(config.prefix);
    this.id = config.nodeId;
    this.redis = createCommandClient(config.redisUrl);
    this.sub = createSubscriberClient(config.redisUrl);
    this.redis.on('error', (error: Error) => this.failed(error, 'redis'));
    this.sub.on('error', (error: Error) => this.failed(error, 'redis subscriber'));
  }

  /** A handler for messages tagged `tag` on the bus or this node's channel. */
  on(tag: string, handler: ChannelHandler): void {
    this.handlers.set(tag, handler);
  }

  /** Re-writes a part's state after Redis came back (it may have lost everything). */
  onResync(step: () => Promise<void>): void {
    this.resyncSteps.push(step);
  }

  /** Connects, subscribes and starts the heartbeat. Fails (clear message) when Redis does not answer. */
  async start(hooks: ClusterNodeHooks): Promise<void> {
    this.hooks = hooks;
    try {
      await Promise.all([this.redis.connect(), this.sub.connect()]);
    } catch (error) {
      this.redis.disconnect();
      this.sub.disconnect();
      throw new Error(`cluster mode: Redis at ${redactUrl(this.config.redisUrl)} does not answer (${(error as Error).message}); start Redis or unset REDIS_URL`, { cause: error });
    }
    this.sub.on('message', (_channel: string, message: string) => this.received(message));
    await this.sub.subscribe(this.keys.bus, this.keys.nodeChannel(this.id));
    this.redis.on('ready', () => {
      if (!this.readySeen || this.stopped) return;
      this.logger.warn({ node: this.id }, 'Redis is back: re-writing this node\'s state');
      void this.heartbeat().then(() => this.resync());
    });
    this.readySeen = true;
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.config.heartbeatMs);
    this.timer.unref();
  }

  /**
   * Publishes on the bus (every node, this one too) or to one node. Never throws. The message goes
   * to ioredis as a Buffer (subscribers still get a string): ioredis then writes the command as one
   * Buffer, outside V8's heap, instead of building a command string of a few KiB (a location batch,
   * a ride frame) that lived until Redis answered and was promoted to the old generation more often
   * than not (docs/performance.md, "Figures after the promotion cuts").
   */
  publish(channel: string, message: string): void {
    this.lastPublish = this.redis.publish(channel, Buffer.from(message)).then(
      () => undefined,
      (error: unknown) => this.failed(error, 'publish'),
    );
  }

  /**
   * Resolves once Redis has answered every publish so far (one connection: answers come in order),
   * or after PING_TIMEOUT_MS when it does not answer (a caller holding a lock must not wait on a
   * stalled Redis for ever; the frames are then not guaranteed, and session.resume recovers them).
   * Never rejects.
   */
  published(): Promise<void> {
    return withTimeout(this.lastPublish, PING_TIMEOUT_MS).catch(() => undefined);
  }

  toNode(nodeId: string, message: string): void {
    this.publish(this.keys.nodeChannel(nodeId), message);
  }

  broadcast(message: string): void {
    this.publish(this.keys.bus, message);
  }

  isLive(nodeId: string): boolean {
    return nodeId === this.id || this.live.has(nodeId);
  }

  /** Logs a failing Redis call once per outage. */
  failed(error: unknown, where: string): void {
    // After stop() the connections are closed on purpose: a call still in flight fails, no outage.
    if (this.failing || this.stopped) return;
    this.failing = true;
    this.logger.error({ err: error, where, node: this.id }, 'cluster: Redis call failed (degraded until it answers again)');
  }

  async ping(): Promise<{ ok: boolean; latencyMs: number | null }> {
    const started = performance.now();
    try {
      await withTimeout(this.redis.ping(), PING_TIMEOUT_MS);
      this.failing = false;
      return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    } catch {
      return { ok: false, latencyMs: null };
    }
  }

  /** The live nodes of the registry (lastSeenAt within CLUSTER_NODE_DEAD_MS). */
  async nodes(): Promise<RegistryEntry[]> {
    const all = await withTimeout(this.redis.hgetall(this.keys.nodes), PING_TIMEOUT_MS);
    const liveAfter = Date.now() - this.config.deadAfterMs;
    return Object.values(all)
      .map(parseEntry)
      .filter((entry): entry is RegistryEntry => entry !== undefined && entry.lastSeenAt >= liveAfter)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    // A clean stop hands this node's drivers the grace at once (their apps reconnect elsewhere).
    try {
      await withTimeout(this.redis.orphanNode(this.keys.nodes, this.keys.grace, this.config.prefix, this.id, Number.MAX_SAFE_INTEGER, Date.now() + this.graceMs), PING_TIMEOUT_MS);
    } catch (error) {
      this.logger.warn({ err: error }, 'cluster: could not hand this node\'s drivers over on stop');
    }
    this.sub.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Heartbeat: registry entry, dead nodes, orphans whose grace ran out. */
  async heartbeat(): Promise<void> {
    if (this.stopped || !this.hooks) return;
    const now = Date.now();
    const entry: RegistryEntry = { id: this.id, url: this.url, connections: this.hooks.connections(), lastSeenAt: now };
    try {
      const created = await this.redis.hset(this.keys.nodes, this.id, JSON.stringify(entry));
      const all = await this.redis.hgetall(this.keys.nodes);
      this.failing = false;
      if (created === 1 && this.beats > 0 && !this.resyncing) {
        // Our entry was gone: another node found us silent too long (a stall, a partition) and
        // handed our drivers the grace, or Redis lost its data. Take everything back.
        this.logger.warn({ node: this.id }, 'cluster: this node had been declared dead; re-announcing its sockets and drivers');
        void this.resync();
      }
      this.beats += 1;
      const deadBefore = now - this.config.deadAfterMs;
      const live = new Set<string>();
      const dead = new Set<string>();
      for (const [id, raw] of Object.entries(all)) {
        const parsed = parseEntry(raw);
        if (parsed && parsed.lastSeenAt >= deadBefore) live.add(id);
        else dead.add(id);
      }
      this.live = live;
      for (const id of dead) {
        const orphaned = Number(await this.redis.orphanNode(this.keys.nodes, this.keys.grace, this.config.prefix, id, deadBefore, now + this.graceMs));
        if (orphaned >= 0) this.logger.warn({ deadNode: id, drivers: orphaned, graceMs: this.graceMs }, 'cluster: a node died; its drivers are in the reconnect grace');
      }
      this.hooks.nodesGone(dead, live);
      const ended = (await this.redis.sweepGrace(this.keys.geo, this.keys.grace, this.keys.positions, this.config.prefix, now)) as string[];
      if (ended.length > 0) this.hooks.driversEnded(ended);
    } catch (error) {
      this.failed(error, 'heartbeat');
    }
  }

  private async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      for (const step of this.resyncSteps) await step();
    } catch (error) {
      this.failed(error, 'resync');
    } finally {
      this.resyncing = false;
    }
  }

  private received(message: string): void {
    const handler = this.handlers.get(message[0] ?? '');
    if (!handler) return;
    try {
      handler(splitMessage(message));
    } catch (error) {
      this.logger.error({ err: error, tag: message[0] }, 'cluster: handling a message from another node failed');
    }
  }
}

/** Field counts per tag: the last field takes the rest of the message (it may contain `|`); `M` is a batch, handed over whole. */
const FIELD_COUNTS: Record<string, number> = { F: 4, L: 4, X: 2, V: 3, A: 4, D: 4, W: 4, M: 1 };

function splitMessage(message: string): string[] {
  const count = FIELD_COUNTS[message[0] ?? ''] ?? 1;
  const fields: string[] = [];
  let start = 0;
  for (let i = 1; i < count; i++) {
    const bar = message.indexOf('|', start);
    if (bar < 0) break;
    fields.push(message.slice(start, bar));
    start = bar + 1;
  }
  fields.push(message.slice(start));
  return fields;
}

function parseEntry(raw: string): RegistryEntry | undefined {
  try {
    const value = JSON.parse(raw) as Partial<RegistryEntry>;
    if (typeof value.id !== 'string' || typeof value.lastSeenAt !== 'number' || typeof value.url !== 'string') return undefined;
    return { id: value.id, url: value.url, lastSeenAt: value.lastSeenAt, connections: { drivers: 0, customers: 0, operators: 0, ...value.connections } };
  } catch {
    return undefined;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
