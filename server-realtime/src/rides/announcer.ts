/**
 * The post-commit announcer: claims the events a committed transaction wrote to the outbox
 * (ride_events, marked announced in one statement) and delivers their frames strictly in `seq`
 * order per ride, re-reading the parties whose state they changed (parties.ts). Each ride's
 * announcements run one after the other, so two commands that committed in one order are
 * announced in that order, however their handlers interleave; across the nodes of a cluster the
 * claim holds a per-ride lock until the frames have left this node (Notifier.flushed), so the next
 * node's frames of that ride queue behind them in Redis. A process that died between commit
 * and announce leaves its events unannounced: `recover()` delivers them at the next start. Apps
 * that missed frames (a dropped socket, a dead process) get them again with session.resume, so
 * delivery is at least once.
 */
import { withTransaction, type Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { ServerMessageType } from '@drivrr/shared/protocol';
import { claimUnannounced, listEventsAfter, lockRideAnnouncements, ridesWithUnannounced, type OutboxEvent } from '../db/ride-events.js';
import type { Notifier } from '../ws/contracts.js';
import type { PartyStates } from './parties.js';

export class RideAnnouncer {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Pool,
    private readonly notifier: Notifier,
    private readonly parties: PartyStates,
    private readonly logger: Logger,
  ) {}

  /** Announces what is committed and unannounced for these rides; resolves once it is delivered. Never rejects. */
  announce(rideIds: Iterable<string>): Promise<void> {
    return Promise.all([...new Set(rideIds)].map((rideId) => this.serially(rideId, () => this.drain(rideId)))).then(() => undefined);
  }

  /** At start: announces every event a previous process committed but never announced. */
  async recover(): Promise<number> {
    const rideIds = await ridesWithUnannounced(this.db);
    await this.announce(rideIds);
    return rideIds.length;
  }

  /**
   * session.resume: the frames of this ride addressed to `userId` after `seq`, in order, sent to
   * them now. Returns the ride's last seq.
   */
  async replay(userId: string, rideId: string, seq: number): Promise<number> {
    const events = await listEventsAfter(this.db, rideId, seq);
    for (const event of events) this.deliver(event, userId);
    return events.length > 0 ? (events[events.length - 1] as OutboxEvent).seq : seq;
  }

  private async drain(rideId: string): Promise<void> {
    const events = await withTransaction(this.db, async (tx) => {
      await lockRideAnnouncements(tx, rideId);
      const claimed = await claimUnannounced(tx, rideId);
      for (const event of claimed) this.deliver(event);
      // Delivered before the claim commits: a failed commit means a second delivery (at least once), never none.
      await this.notifier.flushed?.();
      return claimed;
    });
    for (const event of events) {
      const { drivers = [], customers = [] } = event.effects;
      await Promise.all([...drivers.map((id) => this.parties.refreshDriver(id)), ...customers.map((id) => this.parties.refreshCustomer(id))]);
    }
  }

  private deliver(event: OutboxEvent, onlyTo?: string): void {
    for (const frame of event.effects.frames ?? []) {
      if (onlyTo !== undefined && frame.to !== onlyTo) continue;
      // The frame was built from its schema's type in the transaction (effects.ts) and stored as JSON.
      this.notifier.notify(frame.to, frame.type as ServerMessageType, frame.data as never, { seq: event.seq });
    }
  }

  private serially(rideId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(rideId) ?? Promise.resolve();
    const next = previous.then(work).catch((error: unknown) => {
      // Committed already: the events stay unannounced and the next announce of the ride (or the next start) retries.
      this.logger.error({ err: error, rideId }, 'rides: announcing committed events failed');
    });
    this.queues.set(rideId, next);
    void next.then(() => {
      if (this.queues.get(rideId) === next) this.queues.delete(rideId);
    });
    return next;
  }
}
