/**
 * A virtual clock for the realtime service's Clock port: time moves only when a test calls
 * `advance`, which runs the timers that fall due, in order. Starts at the real time, so tokens
 * signed now are valid on it.
 */
import type { Clock } from '@drivrr/server-realtime';

export class ManualClock implements Clock {
  private current = Date.now();
  private readonly timers: { at: number; seq: number; callback: () => void }[] = [];
  private seq = 0;

  readonly now = (): number => this.current;

  after(delayMs: number, callback: () => void): () => void {
    const timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, callback };
    this.timers.push(timer);
    return () => {
      const index = this.timers.indexOf(timer);
      if (index !== -1) this.timers.splice(index, 1);
    };
  }

  /**
   * Back to the real time, forgetting pending timers: between tests of one stack, so that tokens
   * signed now are valid again (every socket of the previous test must be closed).
   */
  reset(): void {
    this.timers.length = 0;
    this.current = Date.now();
  }

  /** Moves time forward to `atMs` (ms since epoch), running every timer due on the way. */
  advanceTo(atMs: number): void {
    this.advance(Math.max(0, atMs - this.current));
  }

  /** Moves time forward by `ms`, running every timer due on the way. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
  }
}
