/**
 * What the realtime service holds in memory about the parties of rides, derived from PostgreSQL
 * and nothing else: whether a driver is on a ride (presence shows `on_ride`, matching offers them
 * nothing) and which driver a customer follows (the one assigned to their live ride). After a
 * commit the announcer asks for a party to be re-read; re-reads of one party run one after the
 * other, so the last one always reads a database at least as new as the last commit, whatever
 * order the handlers finished in.
 */
import type { Queryable } from '@drivrr/shared/db';
import { engagedDriverOfCustomer, isDriverBusy } from '../db/rides.js';
import type { DriverPresence, LocationFollows } from '../ws/contracts.js';

export class PartyStates {
  /** Drivers on a ride, as last read from the database (read on every fix: must stay a Set lookup). */
  private readonly busyDrivers = new Set<string>();
  /** The driver each customer follows because of a ride, as last read from the database. */
  private readonly followed = new Map<string, string>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Queryable,
    private readonly presence: DriverPresence,
    private readonly follows: LocationFollows,
  ) {}

  isBusy(driverId: string): boolean {
    return this.busyDrivers.has(driverId);
  }

  /** Re-reads whether the driver is on a ride, and shows it in presence. */
  refreshDriver(driverId: string): Promise<void> {
    return this.serially(`driver:${driverId}`, async () => {
      const busy = await isDriverBusy(this.db, driverId);
      if (busy) this.busyDrivers.add(driverId);
      else this.busyDrivers.delete(driverId);
      // No-op for a driver who is not online; in a cluster the driver may be on another node.
      this.presence.setActivity(driverId, busy ? 'on_ride' : 'idle');
    });
  }

  /** Re-reads the driver of the customer's live ride, and follows exactly that one. */
  refreshCustomer(customerId: string): Promise<void> {
    return this.serially(`customer:${customerId}`, async () => {
      const driverId = await engagedDriverOfCustomer(this.db, customerId);
      // The port knows every module follow (in a cluster, also those another node made or ended);
      // this process's own record is the fallback for ports that do not tell.
      const known = this.followed.get(customerId);
      const current = this.follows.moduleFollowsOf?.(customerId) ?? (known === undefined ? [] : [known]);
      for (const followed of current) if (followed !== driverId) this.follows.unfollow(customerId, followed);
      if (driverId === undefined) {
        this.followed.delete(customerId);
        return;
      }
      this.followed.set(customerId, driverId);
      if (!current.includes(driverId)) this.follows.follow(customerId, driverId);
    });
  }

  /** A driver came online or moved (every fix): a driver on a ride shows as on a ride. No I/O. */
  located(driverId: string, activity: 'idle' | 'on_ride'): void {
    if (activity === 'idle' && this.busyDrivers.has(driverId)) this.presence.setActivity(driverId, 'on_ride');
  }

  private serially(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.queues.set(key, next);
    void next.finally(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    }).catch(() => {});
    return next;
  }
}
