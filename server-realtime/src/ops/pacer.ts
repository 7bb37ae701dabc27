/**
 * Pure: decides when the next snapshot goes out. Changes (fixes, board updates) only mark the
 * picture dirty; a timer asks `shouldEmit(now)` and at most one snapshot leaves per interval, so
 * 5,000 fixes a second still make 4 frames a second. A quiet picture is re-sent every
 * `keepaliveMs` so the page can tell a calm city from a dead link.
 */
export interface PacerOptions {
  intervalMs: number;
  keepaliveMs: number;
}

export class SnapshotPacer {
  private dirty = true;
  private lastEmitAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: PacerOptions) {
    if (options.intervalMs <= 0 || options.keepaliveMs < options.intervalMs) {
      throw new RangeError('intervalMs must be > 0 and keepaliveMs >= intervalMs');
    }
  }

  /** Something changed: the next allowed tick sends. */
  markDirty(): void {
    this.dirty = true;
  }

  /** True when a snapshot should be sent at `now` (and records that it was). */
  shouldEmit(now: number): boolean {
    const since = now - this.lastEmitAt;
    if (since < this.options.intervalMs) return false;
    if (!this.dirty && since < this.options.keepaliveMs) return false;
    this.dirty = false;
    this.lastEmitAt = now;
    return true;
  }
}
