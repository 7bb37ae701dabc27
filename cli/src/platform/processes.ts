/** Small process helpers: is a pid alive, is it the program we think it is, stop it politely. */
import { readFile } from 'node:fs/promises';

export function isAlive(pid: number | undefined): pid is number {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process (Linux /proc), or undefined when it is gone or unreadable. */
export async function commandLineOf(pid: number): Promise<string | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is alive and, where /proc can tell, its command line contains `marker` (or one
 * of the markers): guards against signalling an unrelated process that reused a recorded pid.
 */
export async function isOurs(pid: number | undefined, marker: string | readonly string[]): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const cmd = await commandLineOf(pid);
  const markers = typeof marker === 'string' ? [marker] : marker;
  return cmd === undefined ? process.platform !== 'linux' : markers.some((m) => cmd.includes(m));
}

/** What the command line of a service process started by `drivrr up` contains: a service's main.js, or the realtime cluster's primary. */
export const SERVICE_MARKERS = ['main.js', 'realtime-cluster.js'] as const;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `pid` is gone; true when it went within `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || (await isZombie(pid))) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

async function isZombie(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return / Z /.test(stat.slice(stat.lastIndexOf(')') + 1, stat.lastIndexOf(')') + 4));
  } catch {
    return false;
  }
}

/** Sends `signal`, waits `graceMs`, then SIGKILL. Resolves once the process is gone. */
export async function terminate(pid: number, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  if (await waitForExit(pid, graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(pid, 2_000);
}

/** Calls `poll` every `intervalMs` until Ctrl-C (or SIGTERM): the loop of `--watch` and `--follow`. */
export async function pollUntilInterrupted(intervalMs: number, poll: () => Promise<void>): Promise<void> {
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopping) {
      await poll();
      await sleep(intervalMs);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
