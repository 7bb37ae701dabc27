/**
 * What every part of the rides module shares (its ports: the store's pool, the clock, the
 * announcer over the Notifier, presence and the party states), and the one way a command
 * changes anything: `inTransaction` runs the work in one PostgreSQL transaction, appends the
 * events the work decided (the outbox) in that transaction, and after the commit announces them
 * before it returns, so a command's frames go out before its ack.
 */
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { NewRideEvent } from '../db/ride-events.js';
import { withRideTransaction } from '../db/rides.js';
import type { DriverPresence } from '../ws/contracts.js';
import type { RideAnnouncer } from './announcer.js';
import type { RideClock } from './clock.js';
import type { RidesConfig } from './config.js';
import type { PartyStates } from './parties.js';
import { postgresRideStore, type RideStore } from './store.js';

export interface RideContext {
  pool: Pool;
  clock: RideClock;
  config: RidesConfig;
  logger: Logger;
  presence: DriverPresence;
  parties: PartyStates;
  announcer: RideAnnouncer;
  /** Transactions PostgreSQL aborted (deadlock, serialization) and we ran again: the lock order should keep this at 0. */
  counters: { transactionRetries: number };
}

/** The work of one transaction: reads and writes through `store`, pushes the events it decided to `events`. */
export type TransactionWork<T> = (store: RideStore, events: NewRideEvent[]) => Promise<T>;

export async function inTransaction<T>(ctx: RideContext, work: TransactionWork<T>): Promise<T> {
  let written: NewRideEvent[] = [];
  const result = await withRideTransaction(
    ctx.pool,
    async (client) => {
      const events: NewRideEvent[] = [];
      const store = postgresRideStore(client);
      const value = await work(store, events);
      await store.appendRideEvents(events);
      written = events;
      return value;
    },
    (code) => {
      ctx.counters.transactionRetries += 1;
      ctx.logger.warn({ code }, 'rides: transaction retried');
    },
  );
  if (written.length > 0) await ctx.announcer.announce(written.map((event) => event.rideId));
  return result;
}
