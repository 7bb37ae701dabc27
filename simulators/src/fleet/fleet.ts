/**
 * A fleet of simulated drivers and customers run against a live stack: log everyone in (with a
 * bounded number of logins at a time), connect, put the drivers online, let the customers ask
 * for rides (at their own pace or at a fleet-wide rate), and at the end log everyone off cleanly
 * and summarise. The CLI's `drivrr simulate` and the tests call `runFleet`.
 */
import { KARACHI_CENTER } from '@drivrr/shared';
import { AuthApi, httpBaseOf } from '../client/api.js';
import { makeCustomerIdentity, makeDriverIdentity, DEFAULT_TEST_CODE, MAX_CUSTOMERS, MAX_DRIVERS } from '../sim/identity.js';
import type { Area } from '../sim/movement.js';
import { DEFAULT_VEHICLE_MIX, type VehicleMix } from '../sim/vehicle-mix.js';
import { createRng } from '../sim/rng.js';
import { FareKnowledge } from '../sim/strategies.js';
import type { FleetContext } from './context.js';
import { SimCustomer } from './customer.js';
import { SimDriver } from './driver.js';
import { Scheduler } from './scheduler.js';
import { FleetStats, type FleetSummary, type LiveSnapshot } from './stats.js';

export interface FleetOptions {
  authUrl: string;
  wsUrl: string;
  drivers: number;
  customers: number;
  durationMs: number;
  seed: number;
  /** Fleet-wide ride requests per minute; without it each customer keeps its own pace. */
  ratePerMin?: number;
  area?: Area;
  fixIntervalMs?: number;
  /**
   * Share of drivers (0..1) whose fixes go over HTTP (POST /api/locations), as apps whose socket
   * the phone suspended send them; the socket stays up for offers and ride messages.
   */
  backgroundShare?: number;
  /**
   * Which share of the drivers rides, and of the requests asks for, each vehicle type (e.g.
   * car=60,bike=30,rickshaw=10); default cars only.
   */
  vehicleMix?: VehicleMix;
  /** The realtime service's HTTP base; default: derived from wsUrl. */
  realtimeUrl?: string;
  /** Driving and boarding run this many times faster than real time (1 = realistic). */
  timeScale?: number;
  otpCode?: string;
  /** Logins and connects in flight at once. */
  concurrency?: number;
  /** Called about once a second with live figures. */
  onProgress?: (snapshot: LiveSnapshot) => void;
  /** Phase messages for people ("logging in 200 drivers..."), with the stage they begin. */
  onPhase?: (message: string, stage: FleetStage) => void;
  /** Each actor logged in and connected (or failed to), during the login stage. */
  onLoginProgress?: (settled: number, total: number) => void;
  trace?: (actor: string, line: string) => void;
  /** Stops the run early (Ctrl-C): everyone still logs off cleanly. */
  signal?: AbortSignal;
}

export const DEFAULT_AREA: Area = { center: KARACHI_CENTER, radiusM: 6000 };

async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<{ failed: { item: T; error: Error }[] }> {
  const failed: { item: T; error: Error }[] = [];
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failed.push({ item, error: error as Error });
      }
    }
  });
  await Promise.all(workers);
  return { failed };
}

/** The stages of a run, in order; `notice` is a message within the current stage. */
export type FleetStage = 'login' | 'online' | 'run' | 'stop' | 'notice';

export class Fleet {
  readonly ctx: FleetContext;
  readonly drivers: SimDriver[];
  readonly customers: SimCustomer[];
  private progressTimer: NodeJS.Timeout | undefined;
  private lastFrames = 0;
  private startedAt = 0;

  constructor(readonly options: FleetOptions) {
    if (options.drivers < 0 || options.drivers > MAX_DRIVERS) throw new RangeError(`drivers must be 0..${MAX_DRIVERS}`);
    if (options.backgroundShare !== undefined && !(options.backgroundShare >= 0 && options.backgroundShare <= 1)) throw new RangeError('backgroundShare must be 0..1');
    if (options.customers < 0 || options.customers > MAX_CUSTOMERS) throw new RangeError(`customers must be 0..${MAX_CUSTOMERS}`);
    this.ctx = {
      api: new AuthApi(options.authUrl),
      realtimeApi: new AuthApi(options.realtimeUrl ?? httpBaseOf(options.wsUrl)),
      wsUrl: options.wsUrl,
      scheduler: new Scheduler(20),
      stats: new FleetStats(),
      area: options.area ?? DEFAULT_AREA,
      fixIntervalMs: options.fixIntervalMs ?? 3000,
      backgroundShare: options.backgroundShare ?? 0,
      timeScale: options.timeScale ?? 1,
      otpCode: options.otpCode ?? DEFAULT_TEST_CODE,
      // Starting guesses near the service's default rates of each type; customers learn the real ones.
      fares: { car: new FareKnowledge(), bike: new FareKnowledge({ base: 7_500, perKm: 2_250 }), rickshaw: new FareKnowledge({ base: 10_500, perKm: 3_150 }) },
      vehicleMix: options.vehicleMix ?? DEFAULT_VEHICLE_MIX,
      stopping: false,
      trace: options.trace ?? (() => undefined),
    };
    this.drivers = Array.from({ length: options.drivers }, (_, i) => new SimDriver(makeDriverIdentity(options.seed, i, this.ctx.vehicleMix), this.ctx));
    this.customers = Array.from({ length: options.customers }, (_, i) => new SimCustomer(makeCustomerIdentity(options.seed, i), this.ctx));
  }

  snapshot(): LiveSnapshot {
    const now = Date.now();
    const stats = this.ctx.stats;
    const ridesByStatus: Record<string, number> = {};
    let open = 0;
    let completed = 0;
    let cancelled = 0;
    let expired = 0;
    for (const record of stats.requests) {
      if (record.outcome === 'open') open += 1;
      else if (record.outcome === 'completed') completed += 1;
      else if (record.outcome === 'expired') expired += 1;
      else if (record.outcome.startsWith('cancelled')) cancelled += 1;
      if (record.outcome === 'open' || record.outcome === 'assigned') ridesByStatus[record.status] = (ridesByStatus[record.status] ?? 0) + 1;
    }
    return {
      elapsedS: Math.round((now - this.startedAt) / 1000),
      driversOnline: this.drivers.filter((d) => d.phase !== 'offline').length,
      driversOnRide: this.drivers.filter((d) => d.ride !== undefined).length,
      driversReconnecting: this.drivers.filter((d) => d.reconnecting).length,
      customersActive: this.customers.filter((c) => c.phase !== 'idle' && c.phase !== 'done').length,
      openRequests: open,
      ridesByStatus,
      requests: stats.requests.length,
      bidsPlaced: stats.bidsPlaced,
      bidsReceived: stats.bidsReceived,
      completed,
      cancelled,
      expired,
      eventsPerS: stats.eventsPerS(now),
      protocolErrors: stats.protocolErrors,
      refusals: Object.values(stats.expectedRefusals).reduce((a, b) => a + b, 0),
      schedulerLagP95Ms: this.ctx.scheduler.lagP95Ms(),
    };
  }

  private frameCount(): number {
    let total = 0;
    for (const actor of [...this.drivers, ...this.customers]) {
      const client = actor.client;
      if (!client) continue;
      total += client.sent;
      for (const count of client.received.values()) total += count;
    }
    return total;
  }

  /** Runs the whole fleet for the duration (or until the signal aborts) and returns the summary. */
  async run(): Promise<FleetSummary> {
    const { options, ctx } = this;
    const phase = options.onPhase ?? (() => undefined);
    const concurrency = options.concurrency ?? 16;
    const cpuStart = process.cpuUsage();
    this.startedAt = Date.now();
    ctx.scheduler.start();
    this.progressTimer = setInterval(() => {
      const frames = this.frameCount();
      ctx.stats.countEvents(Date.now(), frames - this.lastFrames);
      this.lastFrames = frames;
      options.onProgress?.(this.snapshot());
    }, 1000);

    const aborted = () => options.signal?.aborted === true;
    try {
      phase(`logging in ${this.drivers.length} drivers and ${this.customers.length} customers (test phones ${this.drivers[0]?.identity.phone ?? this.customers[0]?.identity.phone ?? ''}...)`, 'login');
      const actors = [...this.drivers, ...this.customers];
      let settled = 0;
      const logins = await inBatches(actors, concurrency, async (actor) => {
        if (aborted()) return;
        try {
          await actor.login();
          await actor.connect();
        } finally {
          settled += 1;
          options.onLoginProgress?.(settled, actors.length);
        }
      });
      for (const { item, error } of logins.failed) ctx.stats.protocolError(item.label, 'login_or_connect', error.message);
      if (logins.failed.length > 0) phase(`${logins.failed.length} actors could not log in or connect; first: ${logins.failed[0]!.error.message}`, 'notice');

      const ready = this.drivers.filter((d) => d.client?.connected);
      phase(`putting ${ready.length} drivers online around ${ctx.area.center.lat.toFixed(4)},${ctx.area.center.lng.toFixed(4)} (radius ${(ctx.area.radiusM / 1000).toFixed(1)} km)`, 'online');
      await inBatches(ready, concurrency * 2, (driver) => driver.goOnline());

      const customers = this.customers.filter((c) => c.client?.connected);
      const runStart = Date.now();
      if (!aborted()) {
        phase(`running for ${Math.round(options.durationMs / 1000)} s${options.ratePerMin ? ` at ${options.ratePerMin} requests/min` : ''}`, 'run');
        if (options.ratePerMin && options.ratePerMin > 0) this.paceRequests(customers, options.ratePerMin);
        else for (const customer of customers) customer.start();
        ctx.scheduler.resetLag();
        const steadyCpu = process.cpuUsage();
        const steadyFixes = ctx.stats.locationUpdates;
        await this.sleepUntil(runStart + options.durationMs);
        const used = process.cpuUsage(steadyCpu);
        ctx.stats.steady = {
          cpuS: (used.user + used.system) / 1e6,
          wallS: (Date.now() - runStart) / 1000,
          fixes: ctx.stats.locationUpdates - steadyFixes,
          offeredFixes: Math.round(((Date.now() - runStart) / ctx.fixIntervalMs) * this.drivers.filter((d) => d.phase !== 'offline').length),
        };
      }
    } finally {
      phase('stopping: cancelling open requests, drivers going offline, logging everyone off', 'stop');
      await this.stop();
    }
    const endedAt = Date.now();
    const cpu = process.cpuUsage(cpuStart);
    ctx.stats.framesReceived = this.frameCount();
    return ctx.stats.summarize({
      seed: options.seed,
      drivers: options.drivers,
      customers: options.customers,
      startedAt: this.startedAt,
      endedAt,
      cpuS: (cpu.user + cpu.system) / 1e6,
      schedulerLagP95Ms: ctx.scheduler.lagPercentileMs(0.95),
      schedulerLagP99Ms: ctx.scheduler.lagPercentileMs(0.99),
    });
  }

  /** Fleet-wide Poisson arrivals: each picks an idle customer (seeded) to ask for a ride. */
  private paceRequests(customers: SimCustomer[], ratePerMin: number): void {
    const rng = createRng(this.options.seed).derive('arrivals');
    for (const customer of customers) customer.paced = true;
    const meanGapMs = 60_000 / ratePerMin;
    const arrive = () => {
      if (this.ctx.stopping) return;
      const idle = customers.filter((c) => c.phase === 'idle' && c.client?.connected);
      if (idle.length > 0) void rng.pick(idle).requestRide();
      this.ctx.scheduler.after(-Math.log(1 - rng.next()) * meanGapMs, arrive);
    };
    this.ctx.scheduler.after(-Math.log(1 - rng.next()) * meanGapMs, arrive);
  }

  private sleepUntil(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.options.signal;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private stopped = false;
  /** Everyone logs off: open requests cancelled, trips ended, drivers offline, sockets closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ctx.stopping = true;
    await Promise.all(this.customers.map((customer) => customer.stop().catch(() => undefined)));
    // Let the cancellations reach the drivers before they end their trips and go offline.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all(this.drivers.map((driver) => driver.stop().catch(() => undefined)));
    for (const customer of this.customers) customer.close();
    this.ctx.scheduler.stop();
    if (this.progressTimer) clearInterval(this.progressTimer);
    await inBatches([...this.drivers, ...this.customers], 16, async (actor) => {
      await actor.session?.logout();
    });
  }
}

export function runFleet(options: FleetOptions): Promise<FleetSummary> {
  return new Fleet(options).run();
}

