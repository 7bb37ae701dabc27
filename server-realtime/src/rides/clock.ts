/**
 * Time for the rides module, as a port: `now()` for every timestamp it stores and compares, and a
 * scheduler for its one periodic job (claiming due rows: request expiry, bid expiry, search
 * ticks). The system clock runs on real timers; the virtual clock moves only when a test
 * advances it, and runs the due work then, so no test sleeps waiting for an expiry.
 */
export interface Clock {
  /** ms since epoch */
  now(): number;
}

export interface Scheduler {
  /** Runs `task` every `intervalMs` (never two runs of it at once) until stop(). */
  every(intervalMs: number, task: () => Promise<void>): void;
  stop(): void;
}

export type RideClock = Clock & Scheduler;

export class SystemClock implements RideClock {
  private readonly timers = new Set<NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  every(intervalMs: number, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void task().finally(() => {
        running = false;
      });
    }, intervalMs);
    timer.unref();
    this.timers.add(timer);
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
  }
}

/** A clock for tests: time stands still until advance(), which then runs the scheduled work. */
export class VirtualClock implements RideClock {
  private readonly tasks: (() => Promise<void>)[] = [];
  private stopped = false;

  constructor(private current: number = Date.now()) {}

  now(): number {
    return this.current;
  }

  every(_intervalMs: number, task: () => Promise<void>): void {
    this.tasks.push(task);
  }

  /** Moves time forward by `ms` and runs every scheduled task once, to completion. */
  async advance(ms: number): Promise<void> {
    this.current += ms;
    await this.runDue();
  }

  /** Runs every scheduled task once at the current time. */
  async runDue(): Promise<void> {
    if (this.stopped) return;
    // At once, as several processes would: two services on one database share one virtual clock.
    await Promise.all(this.tasks.map((task) => task()));
  }

  stop(): void {
    this.stopped = true;
  }
}
