/**
 * The system clock's timers (ws/clock.ts): token-lifetime timers of every socket share one interval,
 * in slots of a granularity. Driven by a `now` the test sets, except one check of the real interval.
 */
import { describe, expect, it } from 'vitest';
import { CoarseTimers } from '../../src/ws/clock.js';

function timersAt(start: number, granularityMs = 1_000): { timers: CoarseTimers; setNow(ms: number): void } {
  let now = start;
  return { timers: new CoarseTimers(granularityMs, () => now), setNow: (ms) => (now = ms) };
}

describe('coarse timers', () => {
  it('fires a timer no sooner than its delay, and at the first slot boundary after it', () => {
    // Arrange
    const { timers, setNow } = timersAt(10_300);
    const fired: string[] = [];
    timers.after(1_500, () => fired.push('a'));

    // Act + Assert: due at 11,800, i.e. in the slot that starts at 12,000.
    setNow(11_799);
    timers.fireDue();
    expect(fired).toEqual([]);
    setNow(11_999);
    timers.fireDue();
    expect(fired).toEqual([]);
    setNow(12_000);
    timers.fireDue();
    expect(fired).toEqual(['a']);
    timers.fireDue();
    expect(fired).toEqual(['a']);
    expect(timers.pending()).toBe(0);
  });

  it('does not fire a cancelled timer, and cancelling twice or after firing changes nothing', () => {
    const { timers, setNow } = timersAt(0);
    const fired: string[] = [];
    const cancelA = timers.after(500, () => fired.push('a'));
    timers.after(500, () => fired.push('b'));

    cancelA();
    cancelA();
    setNow(1_000);
    timers.fireDue();

    expect(fired).toEqual(['b']);
    cancelA();
    expect(timers.pending()).toBe(0);
  });

  it('fires the same callback armed twice in one slot twice, and fires a negative delay at once', () => {
    const { timers, setNow } = timersAt(0);
    let calls = 0;
    const callback = () => (calls += 1);
    timers.after(200, callback);
    const cancelSecond = timers.after(300, callback);
    timers.after(-50, callback);
    expect(timers.pending()).toBe(3);

    timers.fireDue();
    expect(calls).toBe(1);
    setNow(1_000);
    timers.fireDue();
    expect(calls).toBe(3);
    cancelSecond();
    expect(timers.pending()).toBe(0);
  });

  it('runs every due callback when one of them throws, then throws its error', () => {
    const { timers, setNow } = timersAt(0);
    const fired: string[] = [];
    timers.after(100, () => fired.push('a'));
    timers.after(100, () => {
      throw new Error('boom');
    });
    timers.after(2_100, () => fired.push('c'));
    timers.after(100, () => fired.push('d'));

    setNow(1_000);
    expect(() => timers.fireDue()).toThrow('boom');
    expect(fired).toEqual(['a', 'd']);
    expect(timers.pending()).toBe(1);
  });

  it('fires on its own through the shared interval, re-arming from inside a callback', async () => {
    // Arrange: real time, 5 ms slots; the first timer arms a second one when it fires.
    const timers = new CoarseTimers(5);
    const fired: string[] = [];
    timers.after(10, () => {
      fired.push('first');
      timers.after(10, () => fired.push('second'));
    });

    // Act + Assert
    await expect.poll(() => fired, { timeout: 2_000, interval: 5 }).toEqual(['first', 'second']);
    expect(timers.pending()).toBe(0);
  });
});
