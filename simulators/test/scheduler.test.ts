import { describe, expect, it } from 'vitest';
import { percentiles, Scheduler } from '@drivrr/simulators';

describe('the fleet scheduler', () => {
  it('runs due tasks in time order, skips cancelled ones and keeps later ones', () => {
    let now = 1000;
    const scheduler = new Scheduler(10, () => now);
    const ran: string[] = [];
    scheduler.at(1030, () => ran.push('c'));
    scheduler.at(1010, () => ran.push('a'));
    const cancelled = scheduler.at(1015, () => ran.push('x'));
    scheduler.at(1020, () => ran.push('b'));
    scheduler.at(5000, () => ran.push('later'));
    cancelled.cancel();
    now = 1030;
    scheduler.runDue();
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(scheduler.size).toBe(1);
  });

  it('lets a task schedule another one and reports how late tasks ran', () => {
    let now = 0;
    const scheduler = new Scheduler(10, () => now);
    let fixes = 0;
    const fix = () => {
      fixes += 1;
      scheduler.after(1000, fix);
    };
    scheduler.after(1000, fix);
    for (now = 0; now <= 10_050; now += 50) scheduler.runDue();
    expect(fixes).toBe(10);
    expect(scheduler.lagP95Ms()).toBeLessThanOrEqual(50);
  });
});

describe('percentiles', () => {
  it('gives nearest-rank p50 and p95', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(values)).toEqual({ count: 100, p50: 50, p95: 95, max: 100 });
    expect(percentiles([])).toEqual({ count: 0, p50: null, p95: null, max: null });
  });
});
