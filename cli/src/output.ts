/**
 * Output conventions for every command: data to stdout, messages and progress to stderr,
 * `--json` for scripts, colour only on a TTY without NO_COLOR, one-line errors (no stack traces).
 */
import { CommanderError } from 'commander';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unhealthy: 3,
} as const;

/** A failure the CLI explains in one line and exits with. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export const useColor = (): boolean =>
  Boolean(process.stderr.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && process.env.TERM !== 'dumb';

const paint = (code: number) => (text: string) => (useColor() ? `\u001b[${code}m${text}\u001b[0m` : text);
export const color = { green: paint(32), red: paint(31), yellow: paint(33), dim: paint(2), bold: paint(1), cyan: paint(36) };

/** A message for people (stderr). */
export function info(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Data (stdout). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A simple aligned table for people. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(Math.max(0, widths[i]! - stripAnsi(c).length))).join('  ').trimEnd();
  return [line(headers.map((h) => color.bold(h))), ...rows.map(line)].join('\n');
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** Last-resort handler of bin.ts: one line on stderr, the right exit code. */
export function reportFatal(error: unknown): never {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT.usage);
  if (error instanceof CliError) {
    process.stderr.write(`${color.red('error')}: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${color.red('error')}: ${message}\n`);
  if (process.env.DRIVRR_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  process.exit(EXIT.failure);
}
