/** Process plumbing shared by both services' entry points. */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';

/** Anything with an asynchronous stop: both services' start() results. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The whole life of a service process, for its main.ts: `boot` reads the config and begins
 * starting; the signal handlers are installed before the start finishes, so a SIGTERM that
 * arrives while the service is still starting waits for it and then stops it cleanly (instead of
 * killing the process mid-start). A service that cannot start exits 1 with one line on stderr.
 */
export async function runService(name: string, boot: () => { logger: Logger; started: Promise<Stoppable> }): Promise<void> {
  try {
    const { logger, started } = boot();
    exitOnSignals(async () => (await started).stop(), logger);
    await started;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`drivrr ${name}: ${message}\n`);
    process.exit(1);
  }
}

/** Stops the service once on SIGINT/SIGTERM, then exits; a second signal exits at once. */
export function exitOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => exitSoon(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exitSoon(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Exits once the event loop has drained, or after `graceMs` at the latest. Exiting at once from
 * inside a callback can hang: when stdout is a pipe whose reader died (a supervisor killed hard),
 * pino's exit-time flushSync retries the broken write forever unless the pending write's EPIPE
 * has been delivered first (pino then turns the stream off). Letting the loop run a moment does that.
 */
function exitSoon(code: number, graceMs = 250): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), graceMs).unref();
}

/** The version in a package.json next to the given module directory's parent. */
export function packageVersion(packageJsonUrl: URL): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(packageJsonUrl, 'utf8'));
    const version = (parsed as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** A one-line, human explanation of a listen error (port in use, no permission). */
export function describeListenError(error: unknown, port: number, name: string): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'EADDRINUSE') return `${name}: port ${port} is already in use (set a different port, or stop what holds it)`;
  if (code === 'EACCES') return `${name}: no permission to listen on port ${port}`;
  return `${name}: cannot listen on port ${port}: ${(error as Error)?.message ?? String(error)}`;
}
