/**
 * What a fleet run measures: one record per ride request, counters, protocol errors, and the
 * summary printed (and written with --json) at the end. Pure bookkeeping, no I/O.
 */

export type RequestOutcome = 'open' | 'assigned' | 'completed' | 'cancelled_by_customer' | 'cancelled_by_driver' | 'cancelled_by_system' | 'expired' | 'closed_at_stop';

export interface RequestRecord {
  rideId: string;
  customer: number;
  requestedAt: number;
  /** The first ask and the one in force when a bid was accepted. */
  initialAsk: number;
  currentAsk: number;
  suggestedFare: number;
  firstBidAt?: number;
  assignedAt?: number;
  bids: number;
  raises: number;
  agreedFare?: number;
  outcome: RequestOutcome;
  status: string;
  paymentMethod: 'cash' | 'wallet';
}

export interface ProtocolErrorSample {
  at: string;
  actor: string;
  kind: string;
  detail: string;
}

export interface Percentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: null, p95: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

export interface LiveSnapshot {
  elapsedS: number;
  driversOnline: number;
  driversOnRide: number;
  driversReconnecting: number;
  customersActive: number;
  openRequests: number;
  ridesByStatus: Record<string, number>;
  requests: number;
  bidsPlaced: number;
  bidsReceived: number;
  completed: number;
  cancelled: number;
  expired: number;
  eventsPerS: number;
  protocolErrors: number;
  refusals: number;
  schedulerLagP95Ms: number;
}

export interface FleetSummary {
  seed: number;
  drivers: number;
  customers: number;
  durationS: number;
  startedAt: string;
  endedAt: string;
  requests: number;
  matched: number;
  matchedPct: number;
  timeToFirstBidMs: Percentiles;
  timeToAssignmentMs: Percentiles;
  bidsPerRequest: { mean: number; max: number };
  bidsPlaced: number;
  counterOffers: number;
  fareRaises: number;
  acceptedFareVsAsked: { meanRatio: number | null; meanVsSuggested: number | null; rides: number };
  completed: number;
  cancelled: { byCustomer: number; byDriver: number; bySystem: number; total: number };
  expired: number;
  closedAtStop: number;
  stillOpenAtStop: number;
  ratings: number;
  walletTopUps: number;
  /** Cancels that cost the customer a fee (late, after the driver arrived, or a no-show), and their sum in minor units. */
  cancellationFees: { count: number; amount: number };
  reconnects: number;
  locationUpdates: number;
  /** Of those, fixes sent over HTTP (POST /api/locations) by background drivers. */
  backgroundFixes: number;
  /** In-ride chat messages sent (canned lines at the pickup). */
  chatMessages: number;
  framesReceived: number;
  /** Domain refusals the simulated apps expect in a race (e.g. bid on a ride just taken), by code. */
  expectedRefusals: Record<string, number>;
  protocolErrors: number;
  protocolErrorKinds: Record<string, number>;
  protocolErrorSamples: ProtocolErrorSample[];
  /**
   * The simulator's own cost. `steady*` covers the running phase only (after logins, before the
   * stop): CPU % of one core and CPU microseconds per location fix (everything included: moving,
   * haggling, frames in and out), which says how many drivers one process can drive at 1 fix/s.
   */
  simulator: {
    cpuS: number;
    /** How late the simulator's timers ran in the running phase (p95, p99), ms. */
    schedulerLagP95Ms: number;
    schedulerLagP99Ms: number;
    fixesPerS: number;
    /** Fixes sent / fixes due (online drivers x running time / interval), running phase. */
    steadyFixesDeliveredPct: number | null;
    steadyCpuPct: number | null;
    steadyFixesPerS: number | null;
    cpuUsPerFix: number | null;
  };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export class FleetStats {
  readonly requests: RequestRecord[] = [];
  private readonly byRide = new Map<string, RequestRecord>();
  bidsPlaced = 0;
  counterOffers = 0;
  bidsReceived = 0;
  ratings = 0;
  walletTopUps = 0;
  readonly cancellationFees = { count: 0, amount: 0 };
  reconnects = 0;
  locationUpdates = 0;
  chatMessages = 0;
  backgroundFixes = 0;
  framesReceived = 0;
  framesSent = 0;
  readonly expectedRefusals: Record<string, number> = {};
  readonly protocolErrorKinds: Record<string, number> = {};
  readonly protocolErrorSamples: ProtocolErrorSample[] = [];
  protocolErrors = 0;
  /** CPU and fixes of the running phase (set by the fleet). */
  steady: { cpuS: number; wallS: number; fixes: number; offeredFixes: number } | undefined;
  private eventWindow: { at: number; count: number }[] = [];

  addRequest(record: RequestRecord): void {
    this.requests.push(record);
    this.byRide.set(record.rideId, record);
  }

  request(rideId: string): RequestRecord | undefined {
    return this.byRide.get(rideId);
  }

  refusal(code: string): void {
    this.expectedRefusals[code] = (this.expectedRefusals[code] ?? 0) + 1;
  }

  protocolError(actor: string, kind: string, detail: string): void {
    this.protocolErrors += 1;
    this.protocolErrorKinds[kind] = (this.protocolErrorKinds[kind] ?? 0) + 1;
    if (this.protocolErrorSamples.length < 25) this.protocolErrorSamples.push({ at: new Date().toISOString(), actor, kind, detail });
  }

  /** Frames in and out per second, over the last few seconds. */
  countEvents(now: number, count: number): void {
    this.eventWindow.push({ at: now, count });
    while (this.eventWindow.length > 0 && this.eventWindow[0]!.at < now - 5000) this.eventWindow.shift();
  }

  eventsPerS(now: number): number {
    const recent = this.eventWindow.filter((entry) => entry.at >= now - 5000);
    if (recent.length < 2) return 0;
    const span = (now - recent[0]!.at) / 1000;
    const total = recent.slice(1).reduce((sum, entry) => sum + entry.count, 0);
    return span > 0 ? Math.round(total / span) : 0;
  }

  summarize(meta: { seed: number; drivers: number; customers: number; startedAt: number; endedAt: number; cpuS: number; schedulerLagP95Ms: number; schedulerLagP99Ms?: number }): FleetSummary {
    const requests = this.requests;
    const matched = requests.filter((r) => r.assignedAt !== undefined);
    const agreed = matched.filter((r) => r.agreedFare !== undefined);
    const cancelledBy = (outcome: RequestOutcome) => requests.filter((r) => r.outcome === outcome).length;
    const durationS = (meta.endedAt - meta.startedAt) / 1000;
    const mean = (values: number[]) => (values.length === 0 ? null : round(values.reduce((a, b) => a + b, 0) / values.length, 3));
    const byCustomer = cancelledBy('cancelled_by_customer');
    const byDriver = cancelledBy('cancelled_by_driver');
    const bySystem = cancelledBy('cancelled_by_system');
    return {
      seed: meta.seed,
      drivers: meta.drivers,
      customers: meta.customers,
      durationS: round(durationS),
      startedAt: new Date(meta.startedAt).toISOString(),
      endedAt: new Date(meta.endedAt).toISOString(),
      requests: requests.length,
      matched: matched.length,
      matchedPct: requests.length === 0 ? 0 : round((100 * matched.length) / requests.length),
      timeToFirstBidMs: percentiles(requests.filter((r) => r.firstBidAt !== undefined).map((r) => r.firstBidAt! - r.requestedAt)),
      timeToAssignmentMs: percentiles(matched.map((r) => r.assignedAt! - r.requestedAt)),
      bidsPerRequest: {
        mean: requests.length === 0 ? 0 : round(requests.reduce((sum, r) => sum + r.bids, 0) / requests.length, 2),
        max: requests.reduce((max, r) => Math.max(max, r.bids), 0),
      },
      bidsPlaced: this.bidsPlaced,
      counterOffers: this.counterOffers,
      fareRaises: requests.reduce((sum, r) => sum + r.raises, 0),
      acceptedFareVsAsked: {
        meanRatio: mean(agreed.map((r) => r.agreedFare! / r.initialAsk)),
        meanVsSuggested: mean(agreed.map((r) => r.agreedFare! / r.suggestedFare)),
        rides: agreed.length,
      },
      completed: cancelledBy('completed'),
      cancelled: { byCustomer, byDriver, bySystem, total: byCustomer + byDriver + bySystem },
      expired: cancelledBy('expired'),
      closedAtStop: cancelledBy('closed_at_stop'),
      stillOpenAtStop: requests.filter((r) => r.outcome === 'open' || r.outcome === 'assigned').length,
      ratings: this.ratings,
      walletTopUps: this.walletTopUps,
      cancellationFees: { ...this.cancellationFees },
      reconnects: this.reconnects,
      locationUpdates: this.locationUpdates,
      chatMessages: this.chatMessages,
      backgroundFixes: this.backgroundFixes,
      framesReceived: this.framesReceived,
      expectedRefusals: { ...this.expectedRefusals },
      protocolErrors: this.protocolErrors,
      protocolErrorKinds: { ...this.protocolErrorKinds },
      protocolErrorSamples: [...this.protocolErrorSamples],
      simulator: {
        cpuS: round(meta.cpuS, 2),
        schedulerLagP95Ms: meta.schedulerLagP95Ms,
        schedulerLagP99Ms: meta.schedulerLagP99Ms ?? meta.schedulerLagP95Ms,
        steadyFixesDeliveredPct: this.steady && this.steady.offeredFixes > 0 ? round((100 * this.steady.fixes) / this.steady.offeredFixes) : null,
        fixesPerS: durationS > 0 ? round(this.locationUpdates / durationS) : 0,
        steadyCpuPct: this.steady && this.steady.wallS > 0 ? round((100 * this.steady.cpuS) / this.steady.wallS) : null,
        steadyFixesPerS: this.steady && this.steady.wallS > 0 ? round(this.steady.fixes / this.steady.wallS) : null,
        cpuUsPerFix: this.steady && this.steady.fixes > 0 ? round((this.steady.cpuS * 1e6) / this.steady.fixes) : null,
      },
    };
  }
}
