/**
 * One authenticated connection and what the transport keeps for it. Kept small on purpose: an idle
 * socket must cost little memory (docs/performance.md), so per-socket maps are created lazily.
 */
import type { Role, UserView } from '@drivrr/shared/protocol';
import type { ClientSocket } from './contracts.js';
import { TokenBucket } from './rate-limit.js';

/** What the transport (the only file that sees `ws`) hands to the rest of ws/. */
export interface Connection extends ClientSocket {
  /** Drops the connection without a close handshake (dead or hopelessly slow peers). */
  terminate(): void;
  /** Calls `callback` once, when the bytes queued for this socket have been written out. */
  onceDrained(callback: () => void): void;
  /** Sends a WebSocket ping (heartbeat). */
  ping(): void;
}

/** The access token a socket currently lives on (replaced by session.refresh). */
export interface SessionToken {
  /** The login (refresh-token family), `sid`. */
  sessionId: string;
  issuedAtS: number;
  expiresAtS: number;
}

export class Session {
  /** Heartbeat: set on every pong or frame, cleared at every ping tick. */
  alive = true;
  /** Until session.state is out, inbound frames wait here (so it is always the first frame). */
  backlog: (string | Buffer)[] | null = [];
  /** Until session.state is out, outbound pushes from modules wait here (same reason). */
  early: { type: string; frame: string }[] | null = [];
  /** rate_limited answers since the last accepted frame. */
  strikes = 0;
  /** Latest undelivered driver.location frame per driver while the socket is backed up. */
  pendingLocations: Map<string, string> | null = null;
  waitingForDrain = false;
  closed = false;
  /** Set when a newer login of the same user took over: this socket's close must not start the grace. */
  replaced = false;
  /** Cluster mode: frames waiting while a shared dedupe receipt is looked up (keeps their order). */
  gate: (string | Buffer)[] | null = null;
  /** Cancels the pending session.expiring / token-expiry timer (ws/session-lifetime.ts). */
  cancelLifetimeTimer: (() => void) | undefined = undefined;
  readonly bucket: TokenBucket;
  /** Who this socket speaks for (from the verified token); one object per socket, not per message. */
  readonly caller: { readonly userId: string; readonly role: Role };
  /** The handler context of this socket's id-less messages (every location.update): made once. */
  readonly unacknowledgedContext: { readonly caller: Session['caller']; readonly messageId: undefined };

  constructor(
    readonly userId: string,
    readonly role: Role,
    readonly user: UserView,
    readonly connection: Connection,
    public token: SessionToken,
    rate: { perS: number; burst: number },
    /** When the socket connected (ms): across nodes, the newer login of a user wins. */
    readonly connectedAt: number,
  ) {
    const now = connectedAt;
    this.bucket = new TokenBucket(rate.perS, rate.burst, now);
    this.caller = Object.freeze({ userId, role });
    this.unacknowledgedContext = Object.freeze({ caller: this.caller, messageId: undefined });
  }
}
