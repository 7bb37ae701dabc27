/** Reads the development SMS outbox (dev_sms_outbox) straight from the stack's database. */
import { createPool, type Pool } from '@drivrr/shared/db';
import { latestOutboxMessages, type OutboxMessage } from '@drivrr/server-auth/db/dev-sms-outbox';
import { normalisePhone } from '@drivrr/server-auth/domain/phones';
import { CliError } from '../output.js';

export type { OutboxMessage };

export function openOutbox(databaseUrl: string | undefined): Pool {
  if (!databaseUrl) {
    throw new CliError('no database to read the dev outbox from: start the stack with "drivrr up", or set DATABASE_URL / --database-url');
  }
  return createPool(databaseUrl, { applicationName: 'drivrr-cli' });
}

/** The E.164 form of a phone typed on the command line (local formats use DEFAULT_COUNTRY, else PK). */
export function phoneArgument(input: string): string {
  const phone = normalisePhone(input, process.env.DEFAULT_COUNTRY ?? 'PK');
  if (!phone) throw new CliError(`"${input}" is not a valid phone number (use E.164, e.g. +923001234567)`);
  return phone;
}

export async function readOutbox(pool: Pool, options: { phone?: string; afterId?: number; limit?: number }): Promise<OutboxMessage[]> {
  try {
    return await latestOutboxMessages(pool, options);
  } catch (error) {
    throw new CliError(`cannot read the dev outbox: ${(error as Error).message}`);
  }
}

/** Waits until a message newer than `afterId` arrives for `phone` (or the timeout passes). */
export async function waitForCode(pool: Pool, phone: string, afterId: number, timeoutMs = 5_000): Promise<OutboxMessage | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [message] = await readOutbox(pool, { phone, afterId, limit: 1 });
    if (message) return message;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The id of the newest outbox message of `phone` (0 when none). */
export async function newestOutboxId(pool: Pool, phone: string): Promise<number> {
  const [message] = await readOutbox(pool, { phone, limit: 1 });
  return message?.id ?? 0;
}
