/**
 * `drivrr status`: what `drivrr up` printed, asked again later: the URLs, the LAN address, the
 * database, the pids, the realtime nodes, the uptime, and whether each service answers now.
 */
import type { Command } from 'commander';
import { CliError, colorOut, printJson, printLine } from '../output.js';
import { checkStack } from '../platform/health.js';
import { formatNodes } from './health.js';
import { isOurs } from '../platform/processes.js';
import { describeStack, printStackTable } from '../platform/summary.js';
import { drivrrHome, readStackState } from '../stack-state.js';
import path from 'node:path';

function formatUptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h ${m}m` : m ? `${m}m ${s}s` : `${s}s`;
}

export function register(program: Command): void {
  program
    .command('status')
    .description('Show the running stack: URLs, LAN IP, database, pids, realtime nodes, uptime')
    .option('--json', 'print it as JSON')
    .addHelpText(
      'after',
      `
Reads $DRIVRR_HOME/state.json (written by "drivrr up") and asks both services' /api/health.

--json: {running, authUrl, apiUrl, realtimeUrl, wsUrl, opsUrl, docsUrls, database, lan, flutter, pids,
home, realtimeWorkers, redis?: {url, prefix}, startedAt, uptimeS, detached, services: [{service,
status, url}], nodes: [{id, url, connections, lastSeenAt?, mode?}]} (nodes: every realtime node, from
the cluster's registry in Redis, or the single node)

Examples:
  $ npx drivrr status
  $ npx drivrr status --json | jq -r .opsUrl

Exit codes: 0 a stack is running here (whatever its health: see "drivrr health"), 1 none is.`,
    )
    .action(async (flags: { json?: boolean }) => {
      const home = drivrrHome();
      const state = await readStackState();
      if (!state || !(await isOurs(state.pids.supervisor, ' up'))) {
        throw new CliError(`no Drivrr stack is running here (${home}); start one with "drivrr up"`);
      }
      const summary = describeStack({
        authUrl: state.authUrl,
        realtimeUrl: state.realtimeUrl,
        databaseUrl: state.databaseUrl,
        embeddedDataDir: state.embeddedDatabase ? path.join(home, 'pg') : undefined,
        pids: state.pids,
        home,
        realtimeWorkers: state.realtimeWorkers,
        redis: state.redis,
      });
      const health = await checkStack({ authUrl: state.authUrl, realtimeUrl: state.realtimeUrl }, 2_000);
      const uptimeS = Math.max(0, Math.round((Date.now() - Date.parse(state.startedAt)) / 1000));
      const realtime = health.services.find((s) => s.service === 'realtime');
      // a realtime service too old to report its nodes, or not answering: the one we started
      const nodes = realtime?.nodes ?? [{ id: null, mode: 'single', url: state.realtimeUrl }];
      const services = health.services.map((s) => ({ service: s.service, status: s.status, url: s.url.replace(/\/api\/health$/, '') }));
      if (flags.json) {
        printJson({ running: true, ...summary, startedAt: state.startedAt, uptimeS, detached: state.detached, services, nodes });
        return;
      }
      const paint = (status: string) => (status === 'ok' ? colorOut.green(status) : colorOut.red(status));
      printLine(`${colorOut.green('Drivrr is running')} ${colorOut.dim(`(up ${formatUptime(uptimeS)} since ${state.startedAt}${state.detached ? ', in the background' : ''})`)}`);
      printLine('');
      printStackTable(summary);
      printLine(`Services   ${services.map((s) => `${s.service} ${paint(s.status)}`).join(', ')}`);
      printLine(`Nodes      ${nodes.map((n) => String(n.id ?? n.url ?? '?')).join(', ')} (${nodes.length === 1 ? 'single node' : `${nodes.length} nodes`})`);
      const table = nodes.length > 1 ? formatNodes(realtime) : undefined;
      if (table) printLine(`\n${table}\n`);
      const pids = Object.entries(state.pids).filter(([, pid]) => pid !== undefined);
      printLine(`PIDs       ${pids.map(([name, pid]) => `${name} ${pid}`).join(', ')}`);
      printLine(`Home       ${home}`);
    });
}
