/**
 * `drivrr logs [auth|realtime|db]`: the logs of the stack `drivrr up` runs in this DRIVRR_HOME,
 * for people (pino-pretty, one line per entry) or as the services wrote them (--json: one JSON
 * object per line). The services' lines are kept in $DRIVRR_HOME/logs/<service>.log, the embedded
 * PostgreSQL's in logs/postgres.log.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { CliError, colorOut, printLine, streamHasColor } from '../output.js';
import { parsePositiveInt } from '../platform/options.js';
import { pollUntilInterrupted } from '../platform/processes.js';
import { serviceLogFile } from '../platform/stack.js';
import { drivrrHome } from '../stack-state.js';

type Source = 'auth' | 'realtime' | 'db';
const SOURCES: readonly Source[] = ['auth', 'realtime', 'db'];

function parseSource(value: string): Source {
  if (!(SOURCES as readonly string[]).includes(value)) throw new InvalidArgumentError(`"${value}" is not one of ${SOURCES.join(', ')}`);
  return value as Source;
}

const fileOf = (home: string, source: Source) => (source === 'db' ? path.join(home, 'logs', 'postgres.log') : serviceLogFile(home, source));

interface Entry {
  source: Source;
  line: string;
  /** ms since epoch, for merging the services' lines in time order (JSON lines only). */
  time: number | undefined;
}

function entryOf(source: Source, line: string): Entry {
  let time: number | undefined;
  if (source !== 'db' && line.startsWith('{')) {
    try {
      const parsed = JSON.parse(line) as { time?: unknown };
      // pino writes epoch ms, or an ISO string with an isoTime timestamp (the services use that)
      if (typeof parsed.time === 'number') time = parsed.time;
      else if (typeof parsed.time === 'string' && !Number.isNaN(Date.parse(parsed.time))) time = Date.parse(parsed.time);
    } catch {
      // not a JSON line (a start-up error on stderr): shown as it is
    }
  }
  return { source, line, time };
}

/** Reads `file` from `offset`; returns the complete lines and the offset after the last one. */
async function readLines(file: string, offset: number): Promise<{ lines: string[]; next: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < offset) offset = 0; // the file was truncated (drivrr reset): start over
    const length = size - offset;
    if (length <= 0) return { lines: [], next: offset };
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end === -1) return { lines: [], next: offset };
    return { lines: text.slice(0, end).split('\n').filter((l) => l.length > 0), next: offset + Buffer.byteLength(text.slice(0, end + 1)) };
  } finally {
    await handle.close();
  }
}

export function register(program: Command): void {
  program
    .command('logs')
    .description('Show the logs of the local stack (auth, realtime, or the embedded database)')
    .argument('[source]', `one of ${SOURCES.join(', ')} (default: auth and realtime, merged in time order)`, parseSource)
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --lines <n>', 'how many of the last lines to show first', parsePositiveInt, 50)
    .option('--json', 'print the lines as the services wrote them (one JSON object per line)')
    .addHelpText(
      'after',
      `
The services' JSON logs are kept in $DRIVRR_HOME/logs/auth.log and realtime.log (by "drivrr up",
in the foreground or detached), the embedded PostgreSQL's in logs/postgres.log.

Examples:
  $ npx drivrr logs                     # both services, pretty
  $ npx drivrr logs realtime --follow
  $ npx drivrr logs auth --json | jq 'select(.level >= 50)'
  $ npx drivrr logs db -n 20

Exit codes: 0 ok, 1 no logs here yet, 2 bad usage.`,
    )
    .action(async (source: Source | undefined, flags: { follow?: boolean; lines: number; json?: boolean }) => {
      const home = drivrrHome();
      const sources: Source[] = source ? [source] : ['auth', 'realtime'];
      const present = (await Promise.all(sources.map(async (s) => ((await stat(fileOf(home, s)).catch(() => undefined)) ? s : undefined)))).filter((s): s is Source => s !== undefined);
      if (present.length === 0) throw new CliError(`no logs of ${sources.join(' or ')} in ${path.join(home, 'logs')} yet; start the stack with "drivrr up"`);

      // loaded here: every other command starts without it
      const { prettyFactory } = await import('pino-pretty');
      const pretty = prettyFactory({ colorize: streamHasColor(process.stdout), singleLine: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' });
      const tag = { auth: colorOut.cyan('auth     |'), realtime: colorOut.yellow('realtime |'), db: colorOut.magenta('db       |') };
      const print = (entry: Entry) => {
        if (flags.json) printLine(entry.source === 'db' || entry.time === undefined ? JSON.stringify({ service: entry.source, line: entry.line }) : entry.line);
        else if (entry.time === undefined) printLine(`${tag[entry.source]} ${entry.line}`);
        else printLine(`${tag[entry.source]} ${pretty(entry.line).trimEnd()}`);
      };

      const offsets = new Map<Source, number>();
      const first: (Entry & { sortTime: number })[] = [];
      for (const s of present) {
        const { lines, next } = await readLines(fileOf(home, s), 0);
        offsets.set(s, next);
        // a line without a time (a start-up error) sorts with the timed line before it
        let previous = 0;
        for (const line of lines.slice(-flags.lines)) {
          const entry = entryOf(s, line);
          previous = entry.time ?? previous;
          first.push({ ...entry, sortTime: previous });
        }
      }
      const ordered = present.length > 1 ? first.sort((a, b) => a.sortTime - b.sortTime) : first;
      for (const entry of ordered.slice(-flags.lines)) print(entry);
      if (!flags.follow) return;

      await pollUntilInterrupted(250, async () => {
        for (const s of sources) {
          const file = fileOf(home, s);
          if (!(await stat(file).catch(() => undefined))) continue;
          const { lines, next } = await readLines(file, offsets.get(s) ?? 0);
          offsets.set(s, next);
          for (const line of lines) print(entryOf(s, line));
        }
      });
    });
}
