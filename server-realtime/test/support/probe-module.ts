/**
 * A feature module for transport tests: serves `ride.cancel` with behaviour chosen by `reason`
 * (so tests can make a handler throw, refuse, or be slow) and counts how often each ride id was
 * applied, which is what the dedupe tests check. It never touches rides: it only exercises the seams.
 */
import { AppError } from '@drivrr/shared';
import type { RealtimeModuleFactory } from '../../src/modules.js';

export interface ProbeModule {
  applied: Map<string, number>;
  factory: RealtimeModuleFactory;
  started: boolean;
  stopped: boolean;
}

export function probeModule(sessionPart: Record<string, unknown> = {}): ProbeModule {
  const probe: ProbeModule = {
    applied: new Map(),
    started: false,
    stopped: false,
    factory: (deps) => {
      deps.router.on('ride.cancel', async (ctx, data) => {
        if (data.reason === 'throw') throw new Error('boom: an unexpected failure');
        if (data.reason === 'refuse') throw new AppError('invalid_transition', 'the probe refuses', { details: { from: 'x' } });
        if (data.reason.startsWith('slow')) await new Promise((resolve) => setTimeout(resolve, 200));
        const n = (probe.applied.get(data.rideId) ?? 0) + 1;
        probe.applied.set(data.rideId, n);
        return { rideId: data.rideId, applied: n, by: ctx.caller.userId };
      });
      deps.addSessionState(async () => sessionPart);
      return {
        name: 'probe',
        async start() {
          probe.started = true;
        },
        async stop() {
          probe.stopped = true;
        },
      };
    },
  };
  return probe;
}
