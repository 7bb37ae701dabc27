/**
 * `drivrr scenario list|run`: the scripted scenarios of @drivrr/simulators against a running
 * stack. Thin layer: picks the scenario (a prompt only for a person at a TTY), runs it with
 * `runScenario`, prints each step (narrated and paced with --slow), exits 0 only when every
 * expectation held.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { findScenario, runScenario, SCENARIOS, type Scenario, type ScenarioEvent, type ScenarioResult } from '@drivrr/simulators';
import { CliError, EXIT, color, formatTable, info, printJson, printLine } from '../output.js';
import { parseUrl } from '../platform/options.js';
import { chooseOnTerminal } from '../prompts.js';
import { resolveEndpoints } from '../stack-state.js';
import { assertReachable } from './simulate.js';

interface RunFlags {
  slow?: boolean;
  pause: number;
  json?: boolean;
  all?: boolean;
  otpCode: string;
  authUrl?: string;
  realtimeUrl?: string;
  driverRealtimeUrl?: string;
}

function parsePause(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 60_000) throw new InvalidArgumentError(`"${value}" is not a pause in milliseconds (0-60000)`);
  return n;
}

/** The picker draws on the terminal (stderr), so `scenario run --json > out.json` keeps it out of the file. */
async function pickScenario(): Promise<Scenario> {
  const name = await chooseOnTerminal(
    'Which scenario?',
    SCENARIOS.map((s) => ({ name: `${s.name.padEnd(30)} ${s.title}`, value: s.name, description: s.description })),
    'name a scenario: drivrr scenario run NAME (or --all); see drivrr scenario list',
  );
  return findScenario(name)!;
}

/** Prints a run as it goes: one line per step, or the narration and a pause per step with --slow. */
function reporter(slow: boolean): (event: ScenarioEvent) => void {
  // With --slow, narrated steps get a block of their own; the others stay one quiet line.
  const narrated = new Set<number>();
  return (event) => {
    switch (event.kind) {
      case 'setup':
      case 'teardown':
        info(color.dim(`  ${event.message}`));
        break;
      case 'step':
        if (slow && event.narration) {
          narrated.add(event.index);
          info(`\n  ${color.cyan(`[${event.index}/${event.total}]`)} ${color.bold(event.title)}`);
        }
        break;
      case 'pass':
        if (narrated.has(event.index)) info(color.green(`        ✓ ${event.ms} ms`));
        else info(`  ${color.green('✓')} ${String(event.index).padStart(2)}. ${slow ? color.dim(event.title) : event.title} ${color.dim(`${event.ms} ms`)}`);
        break;
      case 'skip':
        info(`  ${color.yellow('-')} ${String(event.index).padStart(2)}. ${event.title} ${color.yellow(`skipped: ${event.reason}`)}`);
        break;
      case 'fail':
        info(`  ${color.red('✗')} ${String(event.index).padStart(2)}. ${event.title}\n      ${color.red(event.error)}`);
        break;
    }
  };
}

export function register(program: Command): void {
  const scenario = program
    .command('scenario')
    .description('List and run scripted scenarios (ride flows with expectations) against a running stack');

  scenario
    .command('list')
    .description('List the scenarios')
    .option('--json', 'print them as JSON')
    .action((flags: { json?: boolean }) => {
      if (flags.json) {
        printJson(SCENARIOS.map((s) => ({ name: s.name, title: s.title, description: s.description, actors: Object.keys(s.actors), steps: s.steps.length, requires: s.requires ?? null })));
        return;
      }
      printLine(formatTable(['NAME', 'ACTORS', 'STEPS', 'WHAT IT SHOWS'], SCENARIOS.map((s) => [s.name, String(Object.keys(s.actors).length), String(s.steps.length), s.title])));
    });

  scenario
    .command('run')
    .description('Run one scenario (or --all) and check every expectation')
    .argument('[name]', 'scenario name (see `drivrr scenario list`); asked for when omitted at a terminal')
    .option('--slow', 'narrate each step and pause between steps (for demos; watch it on the ops map)')
    .option('--pause <ms>', 'pause before each step with --slow', parsePause, 1500)
    .option('--all', 'run every scenario, one after the other')
    .option('--json', 'print the result(s) as JSON on stdout')
    .option('--otp-code <code>', 'the fixed OTP code of the test phones (+92399...)', '000000')
    .option('--auth-url <url>', 'auth service base URL (default: $DRIVRR_AUTH_URL, the running stack, or http://127.0.0.1:3000)', parseUrl)
    .option('--realtime-url <url>', 'realtime service base URL (default: $DRIVRR_REALTIME_URL, the running stack, or http://127.0.0.1:8081)', parseUrl)
    .option('--driver-realtime-url <url>', 'realtime base URL the drivers connect to (default: --realtime-url): another node of a cluster, so that drivers and customers meet only across nodes', parseUrl)
    .addHelpText(
      'after',
      `
Actors log in through OTP with random test phones (+92399..., fixed code), so runs never collide
with each other or with a fleet. Whatever happens, the run cleans up: open rides are cancelled,
drivers go offline. Scenarios are best run on a quiet stack (a fleet's drivers may bid too).
no-drivers-nearby waits for request expiry only when the stack runs with REQUEST_TTL_MS <= 30000;
bid-expires waits one bid lifetime (BID_TTL_MS, 30 s by default).

Examples:
  $ npx drivrr scenario list
  $ npx drivrr scenario run happy-path
  $ npx drivrr scenario run bid-race --slow            # narrated, for a demo (open the ops map too)
  $ npx drivrr scenario run --all --json > results.json
  $ npx drivrr scenario run happy-path --realtime-url http://10.0.0.1:8081 --driver-realtime-url http://10.0.0.2:8081

Exit codes: 0 every expectation held, 1 a step failed, 2 bad usage (unknown or missing name).`,
    )
    .action(async (name: string | undefined, flags: RunFlags) => {
      let chosen: Scenario[];
      if (flags.all) chosen = [...SCENARIOS];
      else if (name) {
        const found = findScenario(name);
        if (!found) throw new CliError(`unknown scenario "${name}" (known: ${SCENARIOS.map((s) => s.name).join(', ')})`, EXIT.usage);
        chosen = [found];
      } else chosen = [await pickScenario()];

      const endpoints = await resolveEndpoints({ authUrl: flags.authUrl, realtimeUrl: flags.realtimeUrl });
      await assertReachable(endpoints.authUrl, endpoints.realtimeUrl);
      const driverRealtimeUrl = flags.driverRealtimeUrl?.replace(/\/+$/, '');
      if (driverRealtimeUrl) await assertReachable(driverRealtimeUrl);
      const results: ScenarioResult[] = [];
      for (const s of chosen) {
        info(`\n${color.bold(`▶ ${s.name}`)}: ${s.title}`);
        if (flags.slow) info(color.dim(`  ${s.description}`));
        const result = await runScenario(s, {
          authUrl: endpoints.authUrl,
          wsUrl: endpoints.wsUrl,
          realtimeUrl: endpoints.realtimeUrl,
          ...(driverRealtimeUrl ? { driverWsUrl: `${driverRealtimeUrl.replace(/^http/, 'ws')}/ws` } : {}),
          otpCode: flags.otpCode,
          ...(flags.slow ? { pauseMs: flags.pause } : {}),
          onEvent: reporter(Boolean(flags.slow)),
        });
        results.push(result);
        const verdict = result.ok ? color.green(`PASS ${s.name}`) : color.red(`FAIL ${s.name}`);
        info(`${verdict} ${color.dim(`(${(result.durationMs / 1000).toFixed(1)} s)`)}${result.ok ? '' : `\n  ${result.error}`}`);
      }
      if (flags.json) printJson(flags.all ? results : results[0]);
      if (results.some((result) => !result.ok)) process.exitCode = EXIT.failure;
    });
}
