/**
 * The feature modules of the realtime service, wired in this order at start. Each factory gets
 * the transport's seams (ws/contracts.ts) plus the pool, the config and a logger; it registers its
 * message handlers and listeners while it is built, then start() runs (e.g. recovery from the
 * database) before the first socket is accepted, and stop() runs before the sockets are closed.
 *
 * To add a module: one line in `realtimeModules` below.
 */
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { RealtimeConfig } from './config.js';
import { createDocsModule } from './docs/module.js';
import { createLocationsModule } from './locations/module.js';
import { createOpsModule } from './ops/module.js';
import type { RideClock } from './rides/clock.js';
import { createRidesModule } from './rides/module.js';
import { createTrackModule } from './track/module.js';
import type { BackgroundLocations, RealtimeModule, RealtimeModuleDeps } from './ws/contracts.js';

export interface FeatureModuleDeps extends RealtimeModuleDeps {
  pool: Pool;
  config: RealtimeConfig;
  logger: Logger;
  /** The modules' clock (the server's system clock; tests pass a virtual one). */
  clock: RideClock;
}

export type RealtimeModuleFactory = (deps: FeatureModuleDeps) => RealtimeModule;

export const realtimeModules: RealtimeModuleFactory[] = [
  (deps) => createRidesModule(deps),
  (deps) => createOpsModule(deps),
  () => createDocsModule(),
  (deps) => createLocationsModule({ ...deps, backgroundLocations: requireBackgroundLocations(deps), clock: deps.clock }),
  (deps) => createTrackModule({ ...deps, mapDir: deps.config.ops.mapDir }),
];

function requireBackgroundLocations(deps: FeatureModuleDeps): BackgroundLocations {
  if (!deps.backgroundLocations) throw new Error('the locations module needs the gateway\'s backgroundLocations');
  return deps.backgroundLocations;
}

/** Builds every module; a factory that throws aborts the start (the caller cleans up). */
export function createModules(deps: FeatureModuleDeps, factories: readonly RealtimeModuleFactory[] = realtimeModules): RealtimeModule[] {
  return factories.map((factory) => factory(deps));
}

export async function startModules(modules: readonly RealtimeModule[]): Promise<void> {
  for (const module of modules) await module.start?.();
}

/** Stops modules in reverse order; one failing does not keep the others running. */
export async function stopModules(modules: readonly RealtimeModule[], logger: Logger): Promise<void> {
  for (const module of [...modules].reverse()) {
    try {
      await module.stop?.();
    } catch (error) {
      logger.error({ err: error, module: module.name }, 'a realtime module failed to stop');
    }
  }
}
