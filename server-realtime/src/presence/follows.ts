/**
 * Who receives whose live location. Follows are by user id, not by socket, so a follower who
 * reconnects keeps receiving (the rides module follows the assigned driver for the whole ride).
 * `driver.follow` from a client is a dev/QA convenience and ends with that client's connection;
 * follows made by modules last until the module unfollows.
 */
import { AppError } from '@drivrr/shared';
import type { LocationFollows, DriverPresenceInfo } from '../ws/contracts.js';

export type FollowSource = 'client' | 'module';

/** Drivers one user may follow at once (bounds the per-socket pending-location map). */
export const MAX_FOLLOWS_PER_USER = 16;

/** Cluster mode (cluster/follows.ts): every node holds every follow; changes made here are shared. */
export interface FollowsReplica {
  changed(followerId: string, driverId: string, source: FollowSource | null): void;
}

export class LocationFanout implements LocationFollows {
  private readonly followersByDriver = new Map<string, Set<string>>();
  private readonly followsByFollower = new Map<string, Map<string, FollowSource>>();
  private replica: FollowsReplica | undefined;

  /** @param deliver sends one serialized driver.location frame to a follower (droppable). */
  constructor(private readonly deliver: (followerId: string, driverId: string, frame: string) => void) {}

  replicateTo(replica: FollowsReplica): void {
    this.replica = replica;
  }

  /** Cluster mode: a follow changed on another node (or is reloaded from Redis). */
  applyRemote(followerId: string, driverId: string, source: FollowSource | null): void {
    if (source === null) {
      const follows = this.followsByFollower.get(followerId);
      if (follows) this.remove(followerId, driverId, follows, false);
      return;
    }
    this.add(followerId, driverId, source, false);
  }

  /** Every follow (cluster resync). */
  *entries(): Iterable<[string, string, FollowSource]> {
    for (const [followerId, follows] of this.followsByFollower) for (const [driverId, source] of follows) yield [followerId, driverId, source];
  }

  follow(followerId: string, driverId: string, source: FollowSource = 'module'): void {
    this.add(followerId, driverId, source, true);
  }

  private add(followerId: string, driverId: string, source: FollowSource, local: boolean): void {
    let follows = this.followsByFollower.get(followerId);
    if (!follows) {
      follows = new Map();
      this.followsByFollower.set(followerId, follows);
    }
    const existing = follows.get(driverId);
    if (local && existing === undefined && follows.size >= MAX_FOLLOWS_PER_USER) {
      throw new AppError('conflict', `a user may follow at most ${MAX_FOLLOWS_PER_USER} drivers at once`);
    }
    // A module's follow outranks a client's: ending the client's connection must not end it.
    const kept = existing === 'module' ? 'module' : source;
    follows.set(driverId, kept);
    if (local && existing !== kept) this.replica?.changed(followerId, driverId, kept);
    let followers = this.followersByDriver.get(driverId);
    if (!followers) {
      followers = new Set();
      this.followersByDriver.set(driverId, followers);
    }
    followers.add(followerId);
  }

  unfollow(followerId: string, driverId?: string): void {
    const follows = this.followsByFollower.get(followerId);
    if (!follows) return;
    const drivers = driverId === undefined ? [...follows.keys()] : [driverId];
    for (const id of drivers) this.remove(followerId, id, follows);
  }

  /** The follower's connection ended: its client-made follows end with it. */
  endClientFollows(followerId: string): void {
    const follows = this.followsByFollower.get(followerId);
    if (!follows) return;
    for (const [driverId, source] of [...follows]) if (source === 'client') this.remove(followerId, driverId, follows);
  }

  followersOf(driverId: string): ReadonlySet<string> | undefined {
    return this.followersByDriver.get(driverId);
  }

  moduleFollowsOf(followerId: string): readonly string[] {
    const follows = this.followsByFollower.get(followerId);
    if (!follows) return [];
    const drivers: string[] = [];
    for (const [driverId, source] of follows) if (source === 'module') drivers.push(driverId);
    return drivers;
  }

  following(followerId: string): string[] {
    return [...(this.followsByFollower.get(followerId)?.keys() ?? [])];
  }

  /** A driver moved: one frame, serialized once, to every follower. `ts`: when the fix was taken. */
  publish(info: DriverPresenceInfo, ts: number = info.updatedAt): void {
    const followers = this.followersByDriver.get(info.driverId);
    if (!followers || followers.size === 0) return;
    const frame = locationFrame(info, ts);
    for (const followerId of followers) this.deliver(followerId, info.driverId, frame);
  }

  private remove(followerId: string, driverId: string, follows: Map<string, FollowSource>, local = true): void {
    if (!follows.delete(driverId)) return;
    if (local) this.replica?.changed(followerId, driverId, null);
    if (follows.size === 0) this.followsByFollower.delete(followerId);
    const followers = this.followersByDriver.get(driverId);
    if (!followers) return;
    followers.delete(followerId);
    if (followers.size === 0) this.followersByDriver.delete(driverId);
  }
}

/**
 * The driver.location frame; `ts` is the driver's own fix time when it sent one, else the server's.
 * Built as a template rather than JSON.stringify: it runs once per fix and was the hottest line of
 * the fan-out. Safe because every part is already validated: the id is a UUID (from a verified
 * token), lat/lng/heading are finite numbers (schema), ts an integer.
 */
export function locationFrame(info: DriverPresenceInfo, ts: number = info.updatedAt): string {
  return `{"type":"driver.location","data":{"driverId":"${info.driverId}","lat":${info.location.lat},"lng":${info.location.lng},"heading":${info.heading === null ? 'null' : info.heading},"ts":${ts}}}`;
}
