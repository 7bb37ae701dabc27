/**
 * The ops map's environment variables, as a zod shape the service's config module merges in
 * (src/config.ts stays the only reader of process.env).
 */
import { z } from 'zod';
import { envField } from '@drivrr/shared';

export const opsEnvShape = {
  /** Snapshots go out at most this often (ms): 250 = 4 per second, however large the fleet. */
  OPS_SNAPSHOT_MS: envField.int(250, 50, 10_000),
  /** The database figures (rides by status, open requests, bids) are re-read this often (ms). */
  OPS_BOARD_MS: envField.int(1_000, 100, 60_000),
  /** At most this many drivers are drawn (the counters always count them all). */
  OPS_MAX_DRIVERS: envField.int(5_000, 1, 100_000),
  /** Folder of the built page (ops-map/dist); defaults to the workspace's. */
  OPS_MAP_DIR: z.string().min(1).optional(),
};

type OpsEnv = z.output<z.ZodObject<typeof opsEnvShape>>;

export interface OpsConfig {
  snapshotIntervalMs: number;
  boardIntervalMs: number;
  maxDrivers: number;
  /** Undefined: the workspace's ops-map/dist. */
  mapDir: string | undefined;
}

export function opsConfigFrom(env: OpsEnv): OpsConfig {
  return {
    snapshotIntervalMs: env.OPS_SNAPSHOT_MS,
    boardIntervalMs: env.OPS_BOARD_MS,
    maxDrivers: env.OPS_MAX_DRIVERS,
    mapDir: env.OPS_MAP_DIR,
  };
}

/** Defaults, for callers (tests) that build a module without the service's config. */
export const DEFAULT_OPS_CONFIG: OpsConfig = { snapshotIntervalMs: 250, boardIntervalMs: 1_000, maxDrivers: 5_000, mapDir: undefined };
