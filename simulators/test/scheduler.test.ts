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
    expect(scheduler.lagPercentileMs(0.95)).toBeLessThanOrEqual(50);
    expect(scheduler.lateTasks).toBe(0);
  });
});

describe('percentiles', () => {
  it('gives nearest-rank p50 and p95', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(values)).toEqual({ count: 100, p50: 50, p95: 95, max: 100 });
    expect(percentiles([])).toEqual({ count: 0, p50: null, p95: null, max: null });
  });
});

describe('the fleet summary', () => {
  it('computes matched %, waits, fares and outcomes from the request records', async () => {
    const { FleetStats } = await import('@drivrr/simulators');
    const stats = new FleetStats();
    const base = { customer: 0, initialAsk: 40_000, currentAsk: 40_000, suggestedFare: 50_000, raises: 0, status: 'completed', paymentMethod: 'cash' as const };
    stats.addRequest({ ...base, rideId: 'a', requestedAt: 0, firstBidAt: 1000, assignedAt: 3000, bids: 3, agreedFare: 44_000, outcome: 'completed' });
    stats.addRequest({ ...base, rideId: 'b', requestedAt: 0, firstBidAt: 2000, assignedAt: 5000, bids: 1, agreedFare: 40_000, outcome: 'cancelled_by_driver' });
    stats.addRequest({ ...base, rideId: 'c', requestedAt: 0, bids: 0, outcome: 'expired' });
    stats.refusal('bid.place:ride_not_open');
    const summary = stats.summarize({ seed: 1, drivers: 2, customers: 1, startedAt: 0, endedAt: 10_000, cpuS: 1, schedulerLagP95Ms: 3 });
    expect(summary.requests).toBe(3);
    expect(summary.matched).toBe(2);
    expect(summary.matchedPct).toBe(66.7);
    expect(summary.timeToAssignmentMs).toEqual({ count: 2, p50: 3000, p95: 5000, max: 5000 });
    expect(summary.acceptedFareVsAsked.meanRatio).toBe(1.05);
    expect(summary.completed).toBe(1);
    expect(summary.cancelled).toEqual({ byCustomer: 0, byDriver: 1, bySystem: 0, total: 1 });
    expect(summary.expired).toBe(1);
    expect(summary.expectedRefusals).toEqual({ 'bid.place:ride_not_open': 1 });
    expect(summary.protocolErrors).toBe(0);
  });
});
