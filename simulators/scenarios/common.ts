/** Steps several scenarios share. */
import { place, type SendStep, type Vars } from '../src/scenario/dsl.js';

/**
 * Asks for a price: a ride requested at 1 rupee is refused with `fare_below_minimum`, whose
 * details carry the suggested fare and the floor. Saves `$suggested` and `$minimum`, so the
 * scenarios work whatever fares the stack is configured with.
 */
export function askPrice(actor: string, from: string, to: string, say?: string): SendStep {
  return {
    say: say ?? `{{${actor}.name}} checks the price from ${from} to ${to}: a 1-rupee ask is refused with the suggested fare`,
    actor,
    send: 'ride.request',
    data: { pickup: place(from), dropoff: place(to), fare: 100, paymentMethod: 'cash' },
    expect: { error: 'fare_below_minimum' },
    ackMatches: { suggestedFare: { $gt: 0 }, minimumFare: { $gt: 0 } },
    save: { suggested: 'suggestedFare', minimum: 'minimumFare' },
  };
}

/** Rounds a fare up to whole 10 rupees (1000 minor units). */
export const roundFare = (fare: number): number => Math.ceil(fare / 1000) * 1000;

export const num = (vars: Vars, name: string): number => Number(vars[name]);
