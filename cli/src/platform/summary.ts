/**
 * What a running stack tells people and scripts: the URLs (for this machine and for phones on the
 * LAN), the database, the pids. `drivrr up` prints it when the stack is ready; `drivrr status`
 * prints it again later, from `state.json`.
 */
import { colorOut, formatTable, printLine } from '../output.js';
import type { StackState } from '../stack-state.js';
import { appConstants, lanAddress, type AppConstants } from './lan.js';
import { redactUrl } from './stack.js';

export interface ReadySummary {
  authUrl: string;
  apiUrl: string;
  realtimeUrl: string;
  wsUrl: string;
  /** The ops map, told where the auth service is (`?auth=`), so sign-in works whatever the ports. */
  opsUrl: string;
  /** The API documents drawn for people. */
  docsUrls: { auth: string; realtime: string };
  database: { kind: 'embedded' | 'external'; url: string; dataDir?: string };
  lan: { address: string; interface: string } | null;
  flutter: AppConstants;
  pids: StackState['pids'];
  home: string;
  /** Realtime nodes on this machine, sharing the realtime port. */
  realtimeWorkers: number;
  /** With several workers: the cluster's Redis (password masked) and this stack's key prefix. */
  redis?: { url: string; prefix: string };
  readyInMs?: number;
  timingsMs?: Record<string, number>;
  logFile?: string;
  detached?: boolean;
}

export interface StackFacts {
  authUrl: string;
  realtimeUrl: string;
  databaseUrl: string;
  embeddedDataDir: string | undefined;
  pids: StackState['pids'];
  home: string;
  realtimeWorkers?: number;
  redis?: { url: string; prefix: string } | undefined;
}

const portOf = (url: string) => Number(new URL(url).port || 80);

export function describeStack(facts: StackFacts): ReadySummary {
  const lan = lanAddress() ?? null;
  const host = lan?.address ?? '127.0.0.1';
  return {
    authUrl: facts.authUrl,
    apiUrl: `${facts.authUrl}/api`,
    realtimeUrl: facts.realtimeUrl,
    wsUrl: `${facts.realtimeUrl.replace(/^http/, 'ws')}/ws`,
    opsUrl: `${facts.realtimeUrl}/ops?auth=${facts.authUrl}`,
    docsUrls: { auth: `${facts.authUrl}/api/docs`, realtime: `${facts.realtimeUrl}/api/docs` },
    database: facts.embeddedDataDir
      ? { kind: 'embedded', url: redactUrl(facts.databaseUrl), dataDir: facts.embeddedDataDir }
      : { kind: 'external', url: redactUrl(facts.databaseUrl) },
    lan,
    flutter: appConstants(host, portOf(facts.authUrl), portOf(facts.realtimeUrl)),
    pids: facts.pids,
    home: facts.home,
    realtimeWorkers: facts.realtimeWorkers ?? 1,
    ...(facts.redis ? { redis: facts.redis } : {}),
  };
}

/** The URL table, the database and the LAN address (stdout). */
export function printStackTable(summary: ReadySummary): void {
  const lanHost = summary.lan?.address;
  const onLan = (url: string) => (lanHost ? url.replaceAll('127.0.0.1', lanHost) : '');
  const rows = [
    ['Auth API', summary.apiUrl, onLan(summary.apiUrl)],
    ['Realtime', summary.realtimeUrl, onLan(summary.realtimeUrl)],
    ['WebSocket', summary.wsUrl, onLan(summary.wsUrl)],
    ['Ops map', summary.opsUrl, onLan(summary.opsUrl)],
    ['API docs', `${summary.docsUrls.auth}  ${summary.docsUrls.realtime}`, ''],
  ];
  printLine(formatTable(['', 'This machine', 'Phones on your LAN'], rows));
  printLine('');
  printLine(`Database   ${summary.database.kind === 'embedded' ? `embedded PostgreSQL ${summary.database.url} (data in ${summary.database.dataDir})` : `external ${summary.database.url}`}`);
  if (summary.realtimeWorkers > 1) {
    printLine(`Realtime   ${summary.realtimeWorkers} workers on one port, a cluster on Redis ${summary.redis?.url ?? '?'} (key prefix ${summary.redis?.prefix ?? '?'})`);
  }
  printLine(`LAN IP     ${summary.lan ? `${summary.lan.address} (${summary.lan.interface})` : 'none: no IPv4 network besides loopback (an Android emulator can use 10.0.2.2)'}`);
}

export function printReady(summary: ReadySummary, detached: boolean): void {
  printLine(`${colorOut.green('Drivrr is up')} ${colorOut.dim(`(healthy in ${((summary.readyInMs ?? 0) / 1000).toFixed(1)} s)`)}`);
  printLine('');
  printStackTable(summary);
  printLine('');
  printLine(`Flutter apps (lib/core/constants/app_constants.dart):`);
  for (const line of summary.flutter.dart) printLine(`  ${line}`);
  printLine('');
  printLine(`Log in: npx drivrr otp (codes), test phones +92399xxxxxxx use code 000000; check: npx drivrr health`);
  printLine(detached ? `Running in the background (logs: npx drivrr logs). Stop it with: npx drivrr down` : 'Press Ctrl-C to stop.');
}
