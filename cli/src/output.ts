/**
 * Output conventions for every command: data to stdout, messages and progress to stderr,
 * `--json` for scripts (errors then as JSON on stderr), colour decided per stream (only a TTY,
 * never with NO_COLOR or TERM=dumb), one-line errors (no stack traces).
 */
import { CommanderError } from 'commander';
import { createColors } from 'picocolors';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unhealthy: 3,
} as const;

/** The shell's convention for "stopped by Ctrl-C" (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** A failure the CLI explains in one line and exits with. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Colour for one stream: a terminal, and neither NO_COLOR (any non-empty value) nor TERM=dumb. */
export function streamHasColor(stream: NodeJS.WriteStream): boolean {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return Boolean(stream.isTTY) && !noColor && process.env.TERM !== 'dumb';
}

/** Colours for messages (stderr). */
export const color = createColors(streamHasColor(process.stderr));
/** Colours for data (stdout): off when stdout is a file or a pipe, whatever stderr is. */
export const colorOut = createColors(streamHasColor(process.stdout));

/** True when the command line asks for JSON: errors are then JSON too. */
export const jsonRequested = (argv: readonly string[] = process.argv): boolean => argv.slice(2).includes('--json');

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

/** A simple aligned table for people (stdout). */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(Math.max(0, widths[i]! - stripAnsi(c).length))).join('  ').trimEnd();
  return [line(headers.map((h) => colorOut.bold(h))), ...rows.map(line)].join('\n');
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

const EXIT_NAMES: Record<number, string> = { [EXIT.failure]: 'failure', [EXIT.usage]: 'usage', [EXIT.unhealthy]: 'unhealthy', [EXIT_INTERRUPTED]: 'interrupted' };

/** Writes an error for people (`error: ...`) or, under --json, as `{"error":{code, message, exitCode}}`, both on stderr. */
export function writeError(message: string, exitCode: number, json = jsonRequested()): void {
  if (json) process.stderr.write(`${JSON.stringify({ error: { code: EXIT_NAMES[exitCode] ?? 'failure', message, exitCode } })}\n`);
  else process.stderr.write(`${color.red('error')}: ${message}\n`);
}

/** Last-resort handler of bin.ts: one line on stderr (JSON under --json), the right exit code. */
export function reportFatal(error: unknown): never {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) process.exit(0);
    // commander printed its own message unless --json (see program.ts); JSON callers get it here
    if (jsonRequested()) writeError(error.message.replace(/^error: /, ''), EXIT.usage, true);
    process.exit(EXIT.usage);
  }
  if (error instanceof CliError) {
    writeError(error.message, error.exitCode);
    process.exit(error.exitCode);
  }
  const message = error instanceof Error ? error.message : String(error);
  writeError(message, EXIT.failure);
  if (process.env.DRIVRR_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  process.exit(EXIT.failure);
}
