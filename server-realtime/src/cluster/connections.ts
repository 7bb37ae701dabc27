/**
 * Who is connected where, across the cluster: every node keeps a copy of the directory
 * (userId -> node, connectedAt), fed by `A`/`D` messages on the bus and loaded from Redis at start
 * and after a Redis restart. Frames for a user on another node go to that node's channel; a login
 * on another node replaces this node's older socket of the same user (session.replaced, 4001).
 */
import type { RemoteSessions } from '../ws/hub.js';
import type { ClusterNode } from './node.js';

interface Seat {
  node: string;
  connectedAt: number;
}

export interface LocalSessions {
  /** The local socket of a user and when it connected, if any. */
  connectedAt(userId: string): number | undefined;
  /** Replaces the local socket (a newer login elsewhere). */
  evict(userId: string): void;
  /** Delivers a serialized frame to a local socket (false when the user is not here). */
  deliver(userId: string, type: string, frame: string): boolean;
  /** Every local socket: user id and connectedAt (resync). */
  each(): Iterable<{ userId: string; connectedAt: number }>;
}

export class ClusterConnections implements RemoteSessions {
  private readonly seats = new Map<string, Seat>();
  private local: LocalSessions | undefined;
  /** The live nodes of the last sweep (keepNodes), and whether a seat came since (it may be on a node not in it). */
  private sweptLive: ReadonlySet<string> | undefined;
  private seatedSinceSweep = false;

  constructor(private readonly node: ClusterNode) {
    node.on('A', ([, userId, nodeId, at]) => this.seated(userId as string, nodeId as string, Number(at)));
    node.on('D', ([, userId, nodeId, at]) => this.unseated(userId as string, nodeId as string, Number(at)));
    node.on('F', ([, userId, type, frame]) => this.local?.deliver(userId as string, type as string, frame as string));
    node.onResync(() => this.rewrite());
  }

  bind(local: LocalSessions): void {
    this.local = local;
  }

  /** Loads the directory of every live node (start, and after a Redis restart). */
  async load(): Promise<void> {
    const { redis, keys } = this.node;
    const nodes = await this.node.nodes();
    for (const entry of nodes) {
      if (entry.id === this.node.id) continue;
      const users = await redis.hgetall(keys.users(entry.id));
      for (const [userId, at] of Object.entries(users)) this.seated(userId, entry.id, Number(at), false);
    }
  }

  attached(userId: string, connectedAt: number): void {
    this.seats.delete(userId);
    const { redis, keys } = this.node;
    redis.hset(keys.users(this.node.id), userId, connectedAt).catch((error: unknown) => this.node.failed(error, 'attach'));
    this.node.broadcast(`A|${userId}|${this.node.id}|${connectedAt}`);
  }

  detached(userId: string, connectedAt: number): void {
    const { redis, keys } = this.node;
    redis.hdel(keys.users(this.node.id), userId).catch((error: unknown) => this.node.failed(error, 'detach'));
    this.node.broadcast(`D|${userId}|${this.node.id}|${connectedAt}`);
  }

  notify(userId: string, type: string, frame: string): boolean {
    const seat = this.seats.get(userId);
    if (!seat) return false;
    this.node.toNode(seat.node, `F|${userId}|${type}|${frame}`);
    return true;
  }

  isConnected(userId: string): boolean {
    return this.seats.has(userId);
  }

  flushed(): Promise<void> {
    return this.node.published();
  }

  /** The node holding a user's socket (undefined: none, or this node). */
  nodeOf(userId: string): string | undefined {
    return this.seats.get(userId)?.node;
  }

  /**
   * Seats on nodes that are no longer live go (their apps reconnect somewhere and are seated again).
   * Called every heartbeat; when the live nodes are those of the last sweep and no seat came since,
   * every seat is still on a live node, and the directory (a seat per user of the other nodes) is
   * not walked again.
   */
  keepNodes(live: ReadonlySet<string>): void {
    if (!this.seatedSinceSweep && this.sweptLive !== undefined && sameMembers(this.sweptLive, live)) return;
    this.sweptLive = new Set(live);
    this.seatedSinceSweep = false;
    for (const [userId, seat] of this.seats) if (!live.has(seat.node)) this.seats.delete(userId);
  }

  private seated(userId: string, nodeId: string, at: number, replace = true): void {
    if (nodeId === this.node.id) return;
    const localAt = this.local?.connectedAt(userId);
    if (localAt !== undefined) {
      // The newer login wins (ties: the higher node id), wherever each landed.
      if (localAt > at || (localAt === at && this.node.id > nodeId)) return;
      if (!replace) return;
      this.local?.evict(userId);
      // The replaced socket's close does not detach it (it is no longer current): unlist it here.
      this.node.redis.hdel(this.node.keys.users(this.node.id), userId).catch((error: unknown) => this.node.failed(error, 'evict'));
    }
    const known = this.seats.get(userId);
    if (known && known.connectedAt > at) return;
    this.seats.set(userId, { node: nodeId, connectedAt: at });
    this.seatedSinceSweep = true;
  }

  private unseated(userId: string, nodeId: string, at: number): void {
    const seat = this.seats.get(userId);
    if (seat && seat.node === nodeId && seat.connectedAt === at) this.seats.delete(userId);
  }

  /** After a Redis restart: this node's sockets again, and the others' directory. */
  private async rewrite(): Promise<void> {
    const { redis, keys } = this.node;
    const key = keys.users(this.node.id);
    for (const { userId, connectedAt } of this.local?.each() ?? []) {
      await redis.hset(key, userId, connectedAt);
      this.node.broadcast(`A|${userId}|${this.node.id}|${connectedAt}`);
    }
    await this.load();
  }
}

function sameMembers(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const member of a) if (!b.has(member)) return false;
  return true;
}
