/**
 * A sliding-window counter per key (e.g. per client IP), kept in this process's memory. Used for
 * the per-IP OTP limits; the per-phone limits are counted in PostgreSQL and survive restarts.
 * The clock is injected so the behaviour is testable without waiting.
 */
export class SlidingWindowCounter {
  private readonly hits = new Map<string, number[]>();
  private lastSweepMs = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `key` may act again, or 0 when it is under the limit now. */
  retryAfterS(key: string): number {
    const times = this.live(key);
    if (times.length < this.limit) return 0;
    return Math.max(1, Math.ceil((times[times.length - this.limit]! + this.windowMs - this.now()) / 1000));
  }

  /** Records one hit of `key`. */
  record(key: string): void {
    const times = this.live(key);
    times.push(this.now());
    this.hits.set(key, times);
    this.sweep();
  }

  /** Takes back the latest hit of `key` (an action that did not happen after all). */
  undo(key: string): void {
    const times = this.hits.get(key);
    times?.pop();
    if (times?.length === 0) this.hits.delete(key);
  }

  private live(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const times = (this.hits.get(key) ?? []).filter((t) => t > cutoff);
    if (times.length === 0) this.hits.delete(key);
    return times;
  }

  /** Drops keys with no hit in the window, at most once a window, so memory stays bounded. */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweepMs < this.windowMs) return;
    this.lastSweepMs = now;
    for (const key of [...this.hits.keys()]) this.live(key);
  }
}
