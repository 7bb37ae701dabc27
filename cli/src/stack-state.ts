/**
 * Where the CLI finds a running stack. `drivrr up` writes `.drivrr/state.json`; every other
 * command resolves endpoints as: flags > env (DRIVRR_AUTH_URL, DRIVRR_REALTIME_URL, DATABASE_URL)
 * > state.json > the documented defaults (localhost:3000 and :8081).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** The folder for local state (embedded database, keys, state.json); DRIVRR_HOME overrides. */
export function drivrrHome(): string {
  return path.resolve(process.env.DRIVRR_HOME ?? '.drivrr');
}

export const StackState = z.object({
  authUrl: z.string(),
  realtimeUrl: z.string(),
  databaseUrl: z.string(),
  /** True when the database is the embedded one that `drivrr up` started. */
  embeddedDatabase: z.boolean(),
  /** `realtime` is the service's pid, or with several workers their node:cluster primary's. */
  pids: z.object({ supervisor: z.number().int(), auth: z.number().int().optional(), realtime: z.number().int().optional(), postgres: z.number().int().optional() }),
  /** Realtime nodes on this machine (`--realtime-workers`); absent in files written before it existed. */
  realtimeWorkers: z.number().int().positive().default(1),
  /** The cluster's Redis (password masked) and key prefix, with several workers. */
  redis: z.object({ url: z.string(), prefix: z.string() }).optional(),
  startedAt: z.string(),
  detached: z.boolean(),
});
export type StackState = z.infer<typeof StackState>;

const statePath = () => path.join(drivrrHome(), 'state.json');

export async function readStackState(): Promise<StackState | undefined> {
  let text: string;
  try {
    text = await readFile(statePath(), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = StackState.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeStackState(state: StackState): Promise<void> {
  await mkdir(drivrrHome(), { recursive: true });
  // it holds the database URL with its password: readable by the owner only
  await writeFile(statePath(), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function clearStackState(): Promise<void> {
  await rm(statePath(), { force: true });
}

export interface Endpoints {
  authUrl: string;
  realtimeUrl: string;
  /** ws:// URL of the realtime socket endpoint. */
  wsUrl: string;
  databaseUrl: string | undefined;
}

export async function resolveEndpoints(flags: { authUrl?: string; realtimeUrl?: string; databaseUrl?: string } = {}): Promise<Endpoints> {
  const state = await readStackState();
  const authUrl = trimSlash(flags.authUrl ?? process.env.DRIVRR_AUTH_URL ?? state?.authUrl ?? 'http://127.0.0.1:3000');
  const realtimeUrl = trimSlash(flags.realtimeUrl ?? process.env.DRIVRR_REALTIME_URL ?? state?.realtimeUrl ?? 'http://127.0.0.1:8081');
  return {
    authUrl,
    realtimeUrl,
    wsUrl: `${realtimeUrl.replace(/^http/, 'ws')}/ws`,
    databaseUrl: flags.databaseUrl ?? process.env.DATABASE_URL ?? state?.databaseUrl,
  };
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
