/**
 * Ended logins, as the realtime service learns of them: the auth service records a logout or a
 * revoked refresh-token family in PostgreSQL (revoked_sessions); this port answers "is this login
 * ended?" at the handshake and tells the gateway of new ones so their sockets are closed. The
 * PostgreSQL implementation polls for new rows by id (one indexed query a second); a Redis one
 * (pub/sub) can stand behind the same port when the service runs as a cluster.
 */
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import { isSessionRevoked, latestRevocationId, revocationsAfter } from '../db/revoked-sessions.js';

export interface SessionRevocations {
  /** Whether the login was ended (authoritative; may throw when the store is unreachable). */
  isRevoked(sessionId: string): Promise<boolean>;
  /** `listener` gets the logins ended since the last call, as they are learnt of. */
  onRevoked(listener: (sessionIds: ReadonlySet<string>) => void): void;
  start(): Promise<void>;
  stop(): void;
}

/** Rows read per poll; more are read on the next poll (a burst of logouts is not a problem). */
const BATCH = 1_000;

export class PostgresSessionRevocations implements SessionRevocations {
  private readonly listeners: ((sessionIds: ReadonlySet<string>) => void)[] = [];
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly pool: Pool,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  isRevoked(sessionId: string): Promise<boolean> {
    return isSessionRevoked(this.pool, sessionId);
  }

  onRevoked(listener: (sessionIds: ReadonlySet<string>) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    // Logins ended before this start have no socket here; the handshake refuses their tokens.
    this.cursor = await latestRevocationId(this.pool);
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await revocationsAfter(this.pool, this.cursor, BATCH);
      if (rows.length === 0) return;
      this.cursor = rows[rows.length - 1]!.id;
      const ended = new Set(rows.map((r) => r.sessionId));
      for (const listener of this.listeners) listener(ended);
    } catch (error) {
      // The database is down or slow: the next poll picks up where this one stopped.
      this.logger.warn({ err: error }, 'reading ended logins failed');
    } finally {
      this.polling = false;
    }
  }
}
