/**
 * The clock of the WebSocket layer (token lifetimes of sockets): a port, so that tests drive a
 * socket's expiry with a virtual clock instead of waiting for it.
 */
export interface Clock {
  /** ms since epoch. */
  now(): number;
  /**
   * Calls `callback` once, no sooner than `delayMs` from now (the system clock may be up to
   * TIMER_GRANULARITY_MS later); returns a function that cancels it.
   */
  after(delayMs: number, callback: () => void): () => void;
}

/**
 * How late a timer of the system clock may fire. Its timers are token lifetimes, minutes long, and a
 * frame that arrives after `exp` is refused on arrival whatever the timer (session-lifetime.ts).
 */
export const TIMER_GRANULARITY_MS = 1_000;

/**
 * Timers sharing one Node interval, in slots of `granularityMs`. A socket's token timer then costs
 * an entry in a Set (and its cancel function) instead of a `Timeout` and, every socket's delay being
 * different, a `TimersList` of its own: live heap that every major GC marks again
 * (docs/performance.md, "After the rides outbox, sessions and background locations").
 */
export class CoarseTimers {
  /** Callbacks by slot: slot n is due once now >= n * granularityMs. */
  private readonly slots = new Map<number, Set<() => void>>();
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly granularityMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  after(delayMs: number, callback: () => void): () => void {
    const slot = Math.ceil((this.now() + Math.max(0, delayMs)) / this.granularityMs);
    let due = this.slots.get(slot);
    if (due === undefined) {
      due = new Set();
      this.slots.set(slot, due);
    }
    // The same function armed twice into one slot is two timers: the second gets an entry of its own.
    const entry = due.has(callback) ? () => callback() : callback;
    due.add(entry);
    if (this.ticker === undefined) {
      this.ticker = setInterval(() => this.fireDue(), this.granularityMs);
      this.ticker.unref();
    }
    return () => {
      const slotNow = this.slots.get(slot);
      if (slotNow?.delete(entry) && slotNow.size === 0) this.slots.delete(slot);
    };
  }

  /** Runs every callback whose time has come (the interval calls it; tests call it with their own `now`). */
  fireDue(): void {
    const current = Math.floor(this.now() / this.granularityMs);
    const ready: Set<() => void>[] = [];
    // Few slots (one per granularity step of the longest delay), so a scan is cheap.
    for (const [slot, due] of this.slots) {
      if (slot > current) continue;
      this.slots.delete(slot);
      ready.push(due);
    }
    if (this.slots.size === 0 && this.ticker !== undefined) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
    // A callback that throws must not cost the others their turn: all run, then the first error goes on.
    let failure: { error: unknown } | undefined;
    for (const due of ready) {
      for (const callback of due) {
        try {
          callback();
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    if (failure) throw failure.error;
  }

  /** Timers armed and not yet fired or cancelled. */
  pending(): number {
    let count = 0;
    for (const due of this.slots.values()) count += due.size;
    return count;
  }
}

const systemTimers = new CoarseTimers(TIMER_GRANULARITY_MS);

export const systemClock: Clock = {
  now: () => Date.now(),
  after: (delayMs, callback) => systemTimers.after(delayMs, callback),
};
