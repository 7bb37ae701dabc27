/**
 * `drivrr simulate`: runs a seeded fleet of simulated drivers and customers against a running
 * stack. Thin layer over `runFleet` from @drivrr/simulators: flags -> options, a live progress
 * display on stderr, Ctrl-C -> a clean stop, the summary on stdout (a table, or JSON with --json;
 * --out FILE also writes the JSON to a file).
 */
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { KARACHI_CENTER } from '@drivrr/shared';
import { DEFAULT_VEHICLE_MIX, formatVehicleMix, parseVehicleMix, runFleet, type FleetSummary, type LiveSnapshot, type Percentiles, type VehicleMix } from '@drivrr/simulators';
import { CliError, EXIT, color, colorOut, info, printJson, printLine } from '../output.js';
import { parseUrl } from '../platform/options.js';
import { phaseProgress } from '../platform/progress.js';
import { resolveEndpoints } from '../stack-state.js';

interface SimulateFlags {
  drivers: number;
  customers: number;
  duration: number;
  seed?: number;
  rate?: number;
  area?: { lat: number; lng: number; radiusKm: number };
  fixInterval: number;
  backgroundShare: number;
  vehicleMix: VehicleMix;
  timeScale: number;
  otpCode: string;
  concurrency: number;
  json?: boolean;
  out?: string;
  authUrl?: string;
  realtimeUrl?: string;
  verbose?: boolean;
}

const count = (max: number) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > max) throw new InvalidArgumentError(`"${value}" is not a whole number from 0 to ${max}`);
  return n;
};

/** "5m", "90s", "2m30s", "1h" or plain seconds -> milliseconds. */
export function parseDuration(value: string): number {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(trimmed);
  if (!match || trimmed === '') throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 90s, 5m, 2m30s, 1h)`);
  const [, h, m, s] = match;
  const ms = ((Number(h ?? 0) * 60 + Number(m ?? 0)) * 60 + Number(s ?? 0)) * 1000;
  if (ms <= 0) throw new InvalidArgumentError(`"${value}" is not a positive duration`);
  return ms;
}

/** "lat,lng,radiusKm" */
export function parseArea(value: string): { lat: number; lng: number; radiusKm: number } {
  const parts = value.split(',').map((part) => Number(part.trim()));
  const [lat, lng, radiusKm] = parts;
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n)) || Math.abs(lat!) > 90 || Math.abs(lng!) > 180 || radiusKm! <= 0 || radiusKm! > 100) {
    throw new InvalidArgumentError(`"${value}" is not an area "lat,lng,radiusKm" (e.g. 24.8607,67.0011,6)`);
  }
  return { lat: lat!, lng: lng!, radiusKm: radiusKm! };
}

const positiveNumber = (what: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive ${what}`);
  return n;
};

/** A share from 0 to 1 (0.3 = 30 %). */
const ratio = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`"${value}" is not a ratio from 0 to 1`);
  return n;
};

const ms = (value: number | null) => (value === null ? '-' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);
const pct = (p: Percentiles) => (p.count === 0 ? 'none' : `p50 ${ms(p.p50)}, p95 ${ms(p.p95)}, max ${ms(p.max)} (${p.count})`);

export function formatProgress(s: LiveSnapshot): string[] {
  const statuses = Object.entries(s.ridesByStatus)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
  const errors = s.protocolErrors === 0 ? color.green('0') : color.red(String(s.protocolErrors));
  return [
    `${color.bold('drivrr simulate')}  ${s.elapsedS}s  ${s.eventsPerS} events/s  scheduler lag p95 ${s.schedulerLagP95Ms} ms`,
    `drivers   online ${s.driversOnline}, on a ride ${s.driversOnRide}, reconnecting ${s.driversReconnecting}`,
    `requests  ${s.requests} made, ${s.openRequests} open, ${s.customersActive} customers busy`,
    `bids      ${s.bidsPlaced} placed, ${s.bidsReceived} received`,
    `rides     ${statuses || 'none live'}; completed ${s.completed}, cancelled ${s.cancelled}, expired ${s.expired}`,
    `errors    protocol ${errors}, expected refusals ${s.refusals}`,
  ];
}

export function formatSummary(summary: FleetSummary): string[] {
  const fare = summary.acceptedFareVsAsked;
  const errors = summary.protocolErrors === 0 ? colorOut.green('0') : colorOut.red(String(summary.protocolErrors));
  const lines = [
    colorOut.bold(`Fleet summary (seed ${summary.seed}, ${summary.drivers} drivers, ${summary.customers} customers, ${summary.durationS} s)`),
    `  requests              ${summary.requests}`,
    `  matched               ${summary.matched} (${summary.matchedPct}%)`,
    `  time to first bid     ${pct(summary.timeToFirstBidMs)}`,
    `  time to assignment    ${pct(summary.timeToAssignmentMs)}`,
    `  bids per request      mean ${summary.bidsPerRequest.mean}, max ${summary.bidsPerRequest.max} (${summary.bidsPlaced} placed, ${summary.counterOffers} counter-offers, ${summary.fareRaises} fare raises)`,
    `  accepted fare         ${fare.meanRatio === null ? '-' : `${fare.meanRatio}x the first ask, ${fare.meanVsSuggested}x the suggested fare`} (${fare.rides} rides)`,
    `  completed             ${summary.completed} (${summary.ratings} rated)`,
    `  cancelled             ${summary.cancelled.total} (customer ${summary.cancelled.byCustomer}, driver ${summary.cancelled.byDriver}, system ${summary.cancelled.bySystem}); ${summary.cancellationFees.count} with a fee (${summary.cancellationFees.amount} minor units)`,
    `  expired               ${summary.expired}`,
    `  closed at stop        ${summary.closedAtStop}${summary.stillOpenAtStop ? `, still open ${summary.stillOpenAtStop}` : ''}`,
    `  wallet top-ups        ${summary.walletTopUps}; reconnects ${summary.reconnects}; location fixes ${summary.locationUpdates} (${summary.backgroundFixes} over HTTP); chat messages ${summary.chatMessages}`,
    `  expected refusals     ${Object.entries(summary.expectedRefusals).map(([code, n]) => `${code} ${n}`).join(', ') || 'none'}`,
    `  protocol errors       ${errors}${summary.protocolErrors ? ` (${Object.entries(summary.protocolErrorKinds).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    `  simulator             ${summary.simulator.cpuS} s CPU in all; running: ${summary.simulator.steadyCpuPct ?? '-'}% of a core for ${summary.simulator.steadyFixesPerS ?? '-'} fixes/s (${summary.simulator.steadyFixesDeliveredPct ?? '-'}% of those due; ${summary.simulator.cpuUsPerFix ?? '-'} us per fix), timer lag p95 ${summary.simulator.schedulerLagP95Ms} ms, p99 ${summary.simulator.schedulerLagP99Ms} ms`,
  ];
  for (const sample of summary.protocolErrorSamples.slice(0, 5)) lines.push(colorOut.red(`    ${sample.actor}: ${sample.kind}: ${sample.detail}`));
  return lines;
}

/** Redraws a block of lines in place on a TTY; prints a plain line now and then otherwise. */
function progressPrinter(): { update(snapshot: LiveSnapshot): void; done(): void } {
  const tty = Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb';
  let drawn = 0;
  let lastPlain = 0;
  return {
    update(snapshot) {
      if (tty) {
        const lines = formatProgress(snapshot);
        if (drawn > 0) process.stderr.write(`\u001b[${drawn}A\u001b[J`);
        process.stderr.write(`${lines.join('\n')}\n`);
        drawn = lines.length;
      } else if (Date.now() - lastPlain >= 10_000) {
        lastPlain = Date.now();
        const s = snapshot;
        info(`[${s.elapsedS}s] drivers ${s.driversOnline} online/${s.driversOnRide} on ride, requests ${s.requests} (${s.openRequests} open), bids ${s.bidsPlaced}, completed ${s.completed}, cancelled ${s.cancelled}, expired ${s.expired}, ${s.eventsPerS} events/s, protocol errors ${s.protocolErrors}`);
      }
    },
    done() {
      drawn = 0;
    },
  };
}

/** "car=60,bike=30,rickshaw=10" -> weights per vehicle type (a bad one is a usage error). */
export function vehicleMixArg(value: string): VehicleMix {
  try {
    return parseVehicleMix(value);
  } catch (error) {
    throw new InvalidArgumentError(`"${value}": ${(error as Error).message}`);
  }
}

/** A one-line error before anything starts when a service does not answer its health check. */
export async function assertReachable(...baseUrls: string[]): Promise<void> {
  for (const url of baseUrls) {
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(3000) });
      await response.body?.cancel();
    } catch {
      throw new CliError(`cannot reach ${url} (start the stack with \`drivrr up\`, or pass --auth-url/--realtime-url)`);
    }
  }
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('Run a seeded fleet of simulated drivers and customers against a running stack')
    .option('--drivers <n>', 'simulated drivers (0-8000)', count(8000), 200)
    .option('--customers <n>', 'simulated customers (0-2000)', count(2000), 50)
    .addOption(new Option('--duration <time>', 'how long to run: 90s, 5m, 2m30s, 1h').argParser(parseDuration).default(5 * 60_000, '5m'))
    .option('--seed <n>', 'seed: the same seed gives the same fleet and choices (default: random, printed)', count(2 ** 31))
    .option('--rate <requests/min>', 'fleet-wide ride requests per minute (default: each customer at its own pace)', positiveNumber('rate'))
    .option('--area <lat,lng,radiusKm>', `where drivers roam and rides happen (default: central Karachi ${KARACHI_CENTER.lat},${KARACHI_CENTER.lng},6)`, parseArea)
    .option('--fix-interval <seconds>', 'seconds between a driver\'s location updates', positiveNumber('number of seconds'), 3)
    .option('--background-share <ratio>', "share of drivers (0-1) whose app sends its fixes over HTTP (POST /api/locations), as from the background", ratio, 0)
    .option(
      '--vehicle-mix <type=weight,...>',
      'vehicle types of the drivers, and of the requests, by weight (e.g. car=60,bike=30,rickshaw=10)',
      vehicleMixArg,
      DEFAULT_VEHICLE_MIX,
    )
    .option('--time-scale <x>', 'driving and boarding run this many times faster than real time (1 = realistic speeds)', positiveNumber('factor'), 1)
    .option('--otp-code <code>', 'the fixed OTP code of the test phones (+92399...)', '000000')
    .option('--concurrency <n>', 'logins and connects in flight at once', count(500), 16)
    .option('--json', 'print the summary as JSON on stdout instead of the table')
    .option('--out <file>', 'also write the summary as JSON to this file')
    .option('--auth-url <url>', 'auth service base URL (default: $DRIVRR_AUTH_URL, the running stack, or http://127.0.0.1:3000)', parseUrl)
    .option('--realtime-url <url>', 'realtime service base URL (default: $DRIVRR_REALTIME_URL, the running stack, or http://127.0.0.1:8081)', parseUrl)
    .option('--verbose', 'print every decision the simulated people make (stderr)')
    .addHelpText(
      'after',
      `
Simulated people log in exactly as the apps do: OTP through the auth service with test phones
(+92399..., fixed code; \`drivrr up\` configures OTP_TEST_PHONES=+92399*=000000 in development),
real tokens, WebSockets with Authorization: Bearer. Progress goes to stderr; the summary to stdout.
Ctrl-C stops cleanly: open requests are cancelled, trips ended, drivers go offline, everyone logs off.

Examples:
  $ npx drivrr simulate --drivers 200 --customers 50 --duration 5m
  $ npx drivrr simulate --drivers 20 --customers 5 --duration 60s --seed 7 --time-scale 10
  $ npx drivrr simulate --drivers 50 --customers 20 --vehicle-mix car=60,bike=30,rickshaw=10
  $ npx drivrr simulate --rate 30 --area 24.8607,67.0011,4 --out fleet.json
  $ npx drivrr simulate --drivers 20 --customers 5 --duration 30s --json | jq .protocolErrors
  $ npx drivrr simulate --drivers 1000 --customers 0 --fix-interval 1 --duration 2m   # location load only

Exit codes: 0 the run had no protocol errors, 1 it had some (or the stack was unreachable), 2 bad usage.`,
    )
    .action(async (flags: SimulateFlags) => {
      const endpoints = await resolveEndpoints({ authUrl: flags.authUrl, realtimeUrl: flags.realtimeUrl });
      await assertReachable(endpoints.authUrl, endpoints.realtimeUrl);
      const seed = flags.seed ?? Math.floor(Math.random() * 1_000_000);
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        interrupts += 1;
        if (interrupts === 1) {
          info(color.yellow('stopping: everyone logs off (Ctrl-C again to quit at once)'));
          controller.abort();
        } else process.exit(130);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const progress = progressPrinter();
      // The start (thousands of logins) as a task list; the live figures take over once the run begins.
      const startup = phaseProgress([
        ['login', `Log in and connect ${flags.drivers} drivers and ${flags.customers} customers`],
        ['online', 'Drivers online'],
      ] as const);
      let live = false;
      info(`simulating ${flags.drivers} drivers and ${flags.customers} customers (${formatVehicleMix(flags.vehicleMix)}) against ${endpoints.authUrl} and ${endpoints.wsUrl} (seed ${seed})`);
      let summary: FleetSummary;
      try {
        summary = await runFleet({
          authUrl: endpoints.authUrl,
          wsUrl: endpoints.wsUrl,
          drivers: flags.drivers,
          customers: flags.customers,
          durationMs: flags.duration,
          seed,
          ...(flags.rate === undefined ? {} : { ratePerMin: flags.rate }),
          ...(flags.area ? { area: { center: { lat: flags.area.lat, lng: flags.area.lng }, radiusM: flags.area.radiusKm * 1000 } } : {}),
          fixIntervalMs: flags.fixInterval * 1000,
          backgroundShare: flags.backgroundShare,
          vehicleMix: flags.vehicleMix,
          realtimeUrl: endpoints.realtimeUrl,
          timeScale: flags.timeScale,
          otpCode: flags.otpCode,
          concurrency: Math.max(1, flags.concurrency),
          signal: controller.signal,
          onProgress: (snapshot) => {
            if (live) progress.update(snapshot);
          },
          onLoginProgress: (settled, total) => startup.note(`${settled}/${total} logged in and connected`),
          onPhase: async (message, stage) => {
            if (stage === 'login') startup.start('login');
            else if (stage === 'online') {
              startup.end('login');
              startup.start('online');
            } else if (stage === 'run') {
              startup.end('online');
              await startup.finished();
              live = true;
            } else if (stage === 'stop') await startup.fail(new Error('stopped'));
            if (stage === 'notice' || live || stage === 'stop') {
              progress.done();
              info(color.dim(message));
            } else startup.note(message);
          },
          ...(flags.verbose ? { trace: (actor: string, line: string) => info(color.dim(`${actor} ${line}`)) } : {}),
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (summary.requests === 0 && summary.locationUpdates === 0 && summary.protocolErrorKinds.login_or_connect) {
        throw new CliError(`nobody could log in: ${summary.protocolErrorSamples[0]?.detail ?? 'unknown error'} (is OTP_TEST_PHONES=+92399*=000000 set on the auth service?)`);
      }
      if (flags.json) printJson(summary);
      else for (const line of formatSummary(summary)) printLine(line);
      if (flags.out) {
        await writeFile(flags.out, `${JSON.stringify(summary, null, 2)}\n`);
        info(`summary written to ${flags.out}`);
      }
      if (summary.protocolErrors > 0) process.exitCode = EXIT.failure;
    });
}
