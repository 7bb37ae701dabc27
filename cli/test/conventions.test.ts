/**
 * The CLI's conventions, checked on the built command as a process: JSON errors under --json,
 * colour decided per stream (a terminal gets it, a file does not, NO_COLOR wins), help that
 * promises what the command prints. The terminal is a real pseudo-terminal (util-linux `script`).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, drivrr, freePort, requireBuilt } from './helpers.js';

let home: string;
let deadUrls: string[];

beforeAll(async () => {
  requireBuilt();
  home = await mkdtemp(path.join(os.tmpdir(), 'drivrr-conventions-'));
  deadUrls = ['--auth-url', `http://127.0.0.1:${await freePort()}`, '--realtime-url', `http://127.0.0.1:${await freePort()}`];
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

function terminalEnv(env: Record<string, string>): Record<string, string> {
  const clean = Object.fromEntries(Object.entries({ ...process.env, DRIVRR_HOME: home, TERM: 'xterm', ...env }).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'NO_COLOR' && e[0] !== 'CI'));
  if (env.NO_COLOR) clean.NO_COLOR = env.NO_COLOR;
  return clean;
}

/** Runs `drivrr ARGS` with stdout and stderr on a pseudo-terminal (and stdout to `redirect`, when given). */
function onTerminal(args: string[], env: Record<string, string> = {}, redirect?: string): Promise<string> {
  const command = `${process.execPath} ${BIN} ${args.join(' ')}${redirect ? ` > ${redirect}` : ''}`;
  const clean = terminalEnv(env);
  return new Promise((resolve, reject) => {
    execFile('script', ['-qfec', command, '/dev/null'], { env: clean, timeout: 30_000 }, (error, stdout) => {
      if (error && typeof (error as { code?: unknown }).code !== 'number') reject(error);
      else resolve(stdout);
    });
  });
}

const ESC = '\u001b[';

describe('errors under --json', () => {
  it('are one JSON object on stderr with the exit code, and nothing on stdout', async () => {
    const run = await drivrr(['status', '--json'], { DRIVRR_HOME: home });

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(JSON.parse(run.stderr)).toEqual({ error: { code: 'failure', message: expect.stringContaining('no Drivrr stack is running here'), exitCode: 1 } });
  });

  it('include usage errors, without the human hint', async () => {
    const run = await drivrr(['health', '--bogus', '--json'], { DRIVRR_HOME: home });

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([JSON.stringify({ error: { code: 'usage', message: "unknown option '--bogus'", exitCode: 2 } })]);
  });

  it('stay one human line without --json', async () => {
    const run = await drivrr(['status'], { DRIVRR_HOME: home });

    expect(run.stderr.trim()).toBe(`error: no Drivrr stack is running here (${home}); start one with "drivrr up"`);
  });
});

describe('colour', () => {
  it('is on for a terminal and off for a file, decided per stream', async () => {
    const file = path.join(home, 'health.txt');

    const atTerminal = await onTerminal(['health', ...deadUrls]);
    await onTerminal(['health', ...deadUrls], {}, file);

    expect(atTerminal).toContain('SERVICE');
    expect(atTerminal).toContain(ESC);
    const written = await readFile(file, 'utf8');
    expect(written).toContain('SERVICE');
    expect(written).not.toContain(ESC);
  });

  it('is off at a terminal when NO_COLOR is set', async () => {
    const atTerminal = await onTerminal(['health', ...deadUrls], { NO_COLOR: '1' });

    expect(atTerminal).toContain('SERVICE');
    expect(atTerminal).not.toContain(ESC);
  });
});

describe('help', () => {
  it('of migrate status promises the JSON shape the command prints', async () => {
    const help = await drivrr(['migrate', 'status', '--help']);

    expect(help.stdout.replace(/\s+/g, ' ')).toContain('print {migrations: [{name, runOn}], pending} as JSON');
  });
});

describe('prompts', () => {
  it('are refused without a terminal, naming the flag that answers them', async () => {
    const run = await drivrr(['migrate', 'down', '--json'], { DRIVRR_HOME: home, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });

    expect(run.code).toBe(2);
    expect(JSON.parse(run.stderr).error.message).toBe('refusing without confirmation: no terminal to ask on; pass --yes to go ahead');
  });

  it('draw on the terminal, never into stdout redirected to a file, and a "no" changes nothing', async () => {
    const file = path.join(home, 'reset.json');
    // a terminal on stdin and stderr, stdout to the file; the person answers "n"
    const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} reset --json > ${file}`, '/dev/null'], { env: terminalEnv({}) });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      if (screen.includes('Stop the stack') && child.stdin.writable) child.stdin.end('n\r');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

    expect(screen).toContain('Stop the stack and delete everything');
    expect(code).toBe(1);
    expect(await readFile(file, 'utf8')).not.toContain('Stop the stack');
    expect(JSON.parse((await readFile(file, 'utf8')) || '{}')).toEqual({});
  });
});
