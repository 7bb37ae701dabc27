/** `drivrr otp [PHONE]`: the latest codes in the dev SMS outbox; `--watch` follows new ones. */
import type { Command } from 'commander';
import { color, colorOut, formatTable, info, printJson, printLine } from '../output.js';
import { openOutbox, phoneArgument, readOutbox, type OutboxMessage } from '../accounts/outbox.js';
import { parsePositiveInt } from '../platform/options.js';
import { pollUntilInterrupted } from '../platform/processes.js';
import { resolveEndpoints } from '../stack-state.js';

interface OtpFlags {
  watch?: boolean;
  json?: boolean;
  limit: number;
  databaseUrl?: string;
}

const ageOf = (m: OutboxMessage) => Math.max(0, Math.round((Date.now() - Date.parse(m.createdAt)) / 1000));
const fmtAge = (s: number) => (s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`);
/** Codes live 5 minutes by default (OTP_TTL_S). */
const row = (m: OutboxMessage) => [m.createdAt, m.phone, m.role, colorOut.bold(m.code), ageOf(m) >= 300 ? colorOut.dim(`${fmtAge(ageOf(m))} (expired)`) : fmtAge(ageOf(m))];
const HEADERS = ['SENT AT', 'PHONE', 'ROLE', 'CODE', 'AGE'];

export function register(program: Command): void {
  program
    .command('otp')
    .description('Show the latest login codes from the dev SMS outbox (development stacks)')
    .argument('[phone]', 'only codes of this phone (E.164, or a local number)')
    .option('-w, --watch', 'keep running and print new codes as they arrive (Ctrl-C to stop)')
    .option('--json', 'print JSON (with --watch: one JSON object per line)')
    .option('-n, --limit <n>', 'how many recent codes to show', parsePositiveInt, 10)
    .option('--database-url <url>', 'the stack database (default: $DATABASE_URL or the running stack)')
    .addHelpText(
      'after',
      `
Test phones (OTP_TEST_PHONES, e.g. +92399*=000000 under "drivrr up") get no SMS: they log in with their fixed code.

JSON shape: [{id, phone, role, code, body, createdAt}] newest first.

Examples:
  $ npx drivrr otp
  $ npx drivrr otp 03001234567 --json | jq -r '.[0].code'
  $ npx drivrr otp --watch`,
    )
    .action(async (phoneInput: string | undefined, flags: OtpFlags) => {
      const phone = phoneInput === undefined ? undefined : phoneArgument(phoneInput);
      const { databaseUrl } = await resolveEndpoints({ databaseUrl: flags.databaseUrl });
      const pool = openOutbox(databaseUrl);
      try {
        const latest = await readOutbox(pool, { phone, limit: flags.limit });
        if (!flags.watch) {
          if (flags.json) printJson(latest);
          else if (latest.length === 0) info(`no codes in the dev outbox${phone ? ` for ${phone}` : ''} yet`);
          else printLine(formatTable(HEADERS, latest.map(row)));
          return;
        }
        await watch(pool, phone, latest, flags.json === true);
      } finally {
        await pool.end().catch(() => {});
      }
    });
}

async function watch(pool: ReturnType<typeof openOutbox>, phone: string | undefined, latest: OutboxMessage[], json: boolean): Promise<void> {
  const print = (m: OutboxMessage) => printLine(json ? JSON.stringify(m) : `${m.createdAt}  ${m.phone}  ${m.role.padEnd(8)}  ${colorOut.bold(m.code)}`);
  for (const m of [...latest].reverse()) print(m);
  info(color.dim(`watching the dev outbox${phone ? ` for ${phone}` : ''} (Ctrl-C to stop)`));
  let lastId = latest[0]?.id ?? 0;
  await pollUntilInterrupted(500, async () => {
    const fresh = await readOutbox(pool, { phone, afterId: lastId, limit: 100 });
    for (const m of fresh.reverse()) {
      print(m);
      lastId = Math.max(lastId, m.id);
    }
  });
}
