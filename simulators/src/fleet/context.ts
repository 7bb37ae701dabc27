/** What every simulated actor of a fleet shares: the clock, the endpoints, the stats, the knobs. */
import { ProtocolRefusal, ProtocolTimeout, type ProtocolClient } from '../client/protocol-client.js';
import type { AuthApi } from '../client/api.js';
import type { Area } from '../sim/movement.js';
import { FareKnowledge } from '../sim/strategies.js';
import type { Scheduler } from './scheduler.js';
import type { FleetStats } from './stats.js';
import type { ClientMessageInputOf, ClientMessageType, VehicleType } from '@drivrr/shared/protocol';
import type { VehicleMix } from '../sim/vehicle-mix.js';

export interface FleetContext {
  api: AuthApi;
  /** The realtime service's REST side (POST /api/locations). */
  realtimeApi: AuthApi;
  wsUrl: string;
  scheduler: Scheduler;
  stats: FleetStats;
  area: Area;
  fixIntervalMs: number;
  /** Share of drivers (0..1) whose app sends its fixes over HTTP, as from the background. */
  backgroundShare: number;
  /** Simulated time runs this many times faster for driving and boarding (1 = real time). */
  timeScale: number;
  otpCode: string;
  /** What the customers have learnt of the fares, per vehicle type (each type has its own rates). */
  fares: Record<VehicleType, FareKnowledge>;
  /** The share of requests asking for each vehicle type (drivers follow the same mix). */
  vehicleMix: VehicleMix;
  /** True once the fleet is stopping: actors start nothing new. */
  stopping: boolean;
  /** A trace line for --verbose runs. */
  trace(actor: string, line: string): void;
}

/** Refusals of a chat line racing the end of the ride (the other party cancelled a moment ago). */
export const CHAT_RACE_REFUSALS = ['forbidden', 'not_found'];

/**
 * Sends a message and classifies the outcome: an ack returns its data; a refusal whose code the
 * caller expects in a race (e.g. `ride_not_open` on a bid for a ride just taken) is counted as
 * such and returns undefined; any other refusal or a timeout counts as a protocol error.
 */
export async function sendExpecting<T extends ClientMessageType>(
  ctx: FleetContext,
  actor: string,
  client: ProtocolClient,
  type: T,
  data: ClientMessageInputOf<T>,
  expected: readonly string[] = [],
): Promise<{ ok: true; data: unknown } | { ok: false; code: string; details?: Record<string, unknown> }> {
  try {
    const ack = await client.request(type, data);
    return { ok: true, data: ack };
  } catch (error) {
    if (error instanceof ProtocolRefusal) {
      if (expected.includes(error.code)) ctx.stats.refusal(`${type}:${error.code}`);
      else ctx.stats.protocolError(actor, 'unexpected_refusal', `${type}: ${error.code}: ${error.message}`);
      return { ok: false, code: error.code, ...(error.details ? { details: error.details } : {}) };
    }
    if (error instanceof ProtocolTimeout) {
      if (!ctx.stopping) ctx.stats.protocolError(actor, 'timeout', error.message);
      return { ok: false, code: 'timeout' };
    }
    if (!ctx.stopping) ctx.stats.protocolError(actor, 'send_failed', `${type}: ${(error as Error).message}`);
    return { ok: false, code: 'send_failed' };
  }
}
