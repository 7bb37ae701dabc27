/** `drivrr health`: is the stack healthy? A table for people, JSON for scripts, exit 3 when not. */
import type { Command } from 'commander';
import { CliError, EXIT, colorOut, formatTable, printJson, printLine } from '../output.js';
import { checkStack, type ServiceHealth, type StackHealth } from '../platform/health.js';
import { parsePositiveInt, parseSeconds, parseUrl } from '../platform/options.js';
import { sleep } from '../platform/processes.js';
import { resolveEndpoints } from '../stack-state.js';

interface HealthFlags {
  json?: boolean;
  authUrl?: string;
  realtimeUrl?: string;
  wait?: number;
  timeout: number;
}

const count = (connections: unknown, kind: string) => {
  const value = connections && typeof connections === 'object' ? (connections as Record<string, unknown>)[kind] : undefined;
  return typeof value === 'number' ? String(value) : '-';
};

/**
 * The realtime nodes of a cluster as a table (its registry), the node that answered marked with
 * `*`. Undefined for a single node, or a service that does not report its nodes.
 */
export function formatNodes(realtime: ServiceHealth | undefined): string | undefined {
  // a single node is already the realtime row of the services table
  if (!realtime?.nodes?.length || (realtime.nodes.length === 1 && realtime.node?.mode !== 'cluster')) return undefined;
  const answered = realtime.node?.id ?? undefined;
  const rows = realtime.nodes.map((n) => {
    const id = typeof n.id === 'string' ? n.id : '?';
    const lastSeen = typeof n.lastSeenAt === 'string' ? n.lastSeenAt : '-';
    return [`${id}${id === answered && realtime.nodes!.length > 1 ? ' *' : ''}`, typeof n.url === 'string' ? n.url : '-', count(n.connections, 'drivers'), count(n.connections, 'customers'), count(n.connections, 'operators'), lastSeen];
  });
  const mode = realtime.node?.mode === 'cluster' ? `cluster of ${realtime.nodes.length} node(s) on Redis${realtime.node.redis ? (realtime.node.redis.ok ? ` (ok, ${realtime.node.redis.latencyMs ?? '?'} ms)` : ' (UNREACHABLE)') : ''}` : 'single node';
  const legend = realtime.nodes.length > 1 && answered ? '; * answered this check' : '';
  return `${formatTable(['NODE', 'URL', 'DRIVERS', 'CUSTOMERS', 'OPERATORS', 'LAST SEEN'], rows)}\nRealtime: ${mode}${legend}`;
}

function printTable(health: StackHealth): void {
  const paint = { ok: colorOut.green, degraded: colorOut.yellow, unreachable: colorOut.red, error: colorOut.red } as const;
  const rows = health.services.map((s) => [
    s.service,
    paint[s.status](s.status),
    s.url.replace(/\/api\/health$/, ''),
    s.db === null ? '-' : s.db.ok ? `ok (${s.db.latencyMs ?? '?'} ms)` : colorOut.red('unreachable'),
    s.version ?? '-',
    s.problem ?? (s.connections ? Object.entries(s.connections).map(([k, v]) => `${k} ${v}`).join(', ') : ''),
  ]);
  printLine(formatTable(['SERVICE', 'STATUS', 'URL', 'DATABASE', 'VERSION', 'NOTES'], rows));
  const nodes = formatNodes(health.services.find((s) => s.service === 'realtime'));
  if (nodes) printLine(`\n${nodes}\n`);
  printLine(health.healthy ? colorOut.green('all healthy') : colorOut.red('not healthy'));
}

export function register(program: Command): void {
  program
    .command('health')
    .description('Check both services (and the database through them)')
    .option('--json', 'print the result as JSON')
    .option('--auth-url <url>', 'auth service base URL (default: $DRIVRR_AUTH_URL, the running stack, or http://127.0.0.1:3000)', parseUrl)
    .option('--realtime-url <url>', 'realtime service base URL (default: $DRIVRR_REALTIME_URL, the running stack, or http://127.0.0.1:8081)', parseUrl)
    .option('--wait <seconds>', 'keep checking until healthy or this many seconds have passed', parseSeconds)
    .option('--timeout <ms>', 'per-request timeout in milliseconds', parsePositiveInt, 3000)
    .addHelpText(
      'after',
      `
JSON shape: {healthy, checkedAt, services:[{service, url, status: ok|degraded|unreachable|error,
httpStatus, db:{ok, latencyMs}, version, uptimeS, connections?, problem?, responseMs}]}; for realtime
also node: {id, mode: single|cluster, redis?: {ok, latencyMs}} (the node that answered) and nodes:
[{id, url, connections: {drivers, customers, operators}, lastSeenAt}] (every node of a cluster, from
its registry in Redis; for a single node, that node). A service too old to report them has neither.

Examples:
  $ npx drivrr health
  $ npx drivrr health --json | jq .healthy
  $ npx drivrr health --wait 30             # in CI, after "drivrr up --detach"
  $ npx drivrr health --auth-url https://auth.example.com --realtime-url https://rt.example.com

Exit codes: 0 all healthy, 3 a service is degraded or unreachable, 2 bad usage.`,
    )
    .action(async (flags: HealthFlags) => {
      const endpoints = await resolveEndpoints({ authUrl: flags.authUrl, realtimeUrl: flags.realtimeUrl });
      const deadline = Date.now() + (flags.wait ?? 0) * 1000;
      let health = await checkStack(endpoints, flags.timeout);
      while (!health.healthy && Date.now() < deadline) {
        await sleep(500);
        health = await checkStack(endpoints, flags.timeout);
      }
      if (flags.json) printJson(health);
      else printTable(health);
      if (!health.healthy) throw new CliError(flags.json ? 'not healthy' : `not healthy: ${health.services.filter((s) => s.status !== 'ok').map((s) => `${s.service} ${s.status}${s.problem ? ` (${s.problem})` : ''}`).join('; ')}`, EXIT.unhealthy);
    });
}
