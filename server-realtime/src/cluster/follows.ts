/**
 * Live-location follows across the cluster. Follows are few (one per ride, plus QA follows), so
 * every node holds all of them (presence/follows.ts), shared through the `P follows` hash and `W`
 * messages on the bus. A fix is fanned out by the node that owns the driver: to its own sockets
 * directly, and to a follower on another node through that node's channel (`L` message). Nobody
 * following: no Redis work at all.
 */
import type { FollowSource, FollowsReplica, LocationFanout } from '../presence/follows.js';
import type { ClusterConnections } from './connections.js';
import type { ClusterNode } from './node.js';

export class ClusterFollows implements FollowsReplica {
  private fanout: LocationFanout | undefined;
  private deliverHere: ((followerId: string, driverId: string, frame: string) => void) | undefined;
  /** Locations for other nodes gathered in this event-loop turn, per node. */
  private outgoing: Map<string, string[]> | undefined;

  constructor(
    private readonly node: ClusterNode,
    private readonly connections: ClusterConnections,
  ) {
    node.on('W', ([, followerId, driverId, source]) => {
      if (!this.fanout) return;
      this.fanout.applyRemote(followerId as string, driverId as string, source === 'client' || source === 'module' ? source : null);
    });
    node.on('L', ([, driverId, followerId, frame]) => this.deliverHere?.(followerId as string, driverId as string, frame as string));
    node.on('M', ([message]) => this.receiveBatch(message as string));
    node.onResync(() => this.rewrite());
  }

  bind(fanout: LocationFanout, deliverHere: (followerId: string, driverId: string, frame: string) => void): void {
    this.fanout = fanout;
    this.deliverHere = deliverHere;
    fanout.replicateTo(this);
  }

  async load(): Promise<void> {
    const all = await this.node.redis.hgetall(this.node.keys.follows);
    for (const [pair, source] of Object.entries(all)) {
      const [followerId, driverId] = pair.split('|');
      if (followerId && driverId && (source === 'client' || source === 'module')) this.fanout?.applyRemote(followerId, driverId, source);
    }
  }

  changed(followerId: string, driverId: string, source: FollowSource | null): void {
    const { redis, keys } = this.node;
    const pair = `${followerId}|${driverId}`;
    const write = source === null ? redis.hdel(keys.follows, pair) : redis.hset(keys.follows, pair, source);
    write.catch((error: unknown) => this.node.failed(error, 'follow'));
    this.node.broadcast(`W|${followerId}|${driverId}|${source ?? ''}`);
  }

  /**
   * A follower not connected here: its node gets the frame (dropped when it is connected nowhere).
   * The locations of one window (CLUSTER_LOCATION_BATCH_MS, 10 ms; 0: one event-loop turn) go to
   * each node as one message (`M`, newline-separated `L` lines: frames are JSON, which never holds
   * a raw newline). A message costs more than the locations in it: the sender's write wakes Redis,
   * Redis's wakes the other node, and its answer wakes the sender again, ~100 us of CPU between
   * the three; at 5,000 fixes/s a 10 ms window carries ~25 locations per node, 5 ms ~12
   * (docs/performance.md, "Figures after the shared position hash").
   */
  deliverElsewhere(followerId: string, driverId: string, frame: string): void {
    const nodeId = this.connections.nodeOf(followerId);
    if (nodeId === undefined) return;
    const batches = (this.outgoing ??= new Map());
    const line = `L|${driverId}|${followerId}|${frame}`;
    const batch = batches.get(nodeId);
    if (batch === undefined) batches.set(nodeId, [line]);
    else batch.push(line);
    if (batches.size === 1 && batch === undefined) {
      const windowMs = this.node.config.locationBatchMs;
      if (windowMs === 0) setImmediate(this.flush);
      else setTimeout(this.flush, windowMs);
    }
  }

  private readonly flush = (): void => {
    const batches = this.outgoing;
    this.outgoing = undefined;
    if (!batches) return;
    for (const [nodeId, lines] of batches) this.node.toNode(nodeId, lines.length === 1 ? (lines[0] as string) : `M\n${lines.join('\n')}`);
  };

  private receiveBatch(message: string): void {
    let start = message.indexOf('\n') + 1;
    while (start > 0 && start < message.length) {
      const end = message.indexOf('\n', start);
      const line = end < 0 ? message.slice(start) : message.slice(start, end);
      const first = line.indexOf('|', 2);
      const second = line.indexOf('|', first + 1);
      if (line.startsWith('L|') && first > 0 && second > 0) this.deliverHere?.(line.slice(first + 1, second), line.slice(2, first), line.slice(second + 1));
      start = end < 0 ? message.length : end + 1;
    }
  }

  private async rewrite(): Promise<void> {
    if (!this.fanout) return;
    const { redis, keys } = this.node;
    for (const [followerId, driverId, source] of this.fanout.entries()) await redis.hset(keys.follows, `${followerId}|${driverId}`, source);
  }
}
