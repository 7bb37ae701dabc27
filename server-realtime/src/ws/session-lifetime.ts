/**
 * A socket lives no longer than its access token (contract 1.1): `session.expiring` is sent
 * min(60 s, half the token's lifetime) before `exp`, `session.refresh` with a fresh token of the
 * same user extends the socket to the new `exp`, and at `exp` without one the socket is closed
 * with 4401 `token_expired`. A login ended by logout or revocation closes its sockets with 4401
 * `session_revoked`. Time comes from the Clock port, so tests drive expiries without waiting.
 */
import type { KeyObject } from 'node:crypto';
import { AppError, authenticate, type Caller as TokenCaller } from '@drivrr/shared';
import { WS_CLOSE_SESSION_ENDED } from '@drivrr/shared/protocol';
import type { SessionRevocations } from '../sessions/revocations.js';
import type { Clock } from './clock.js';
import type { ConnectionHub } from './hub.js';
import type { Session } from './session.js';

/** The warning comes this long before `exp` at most (and at most half the lifetime). */
const MAX_WARNING_MS = 60_000;
/** Ended logins remembered here for sockets that passed the handshake while the news was on its way. */
const RECENT_REVOCATION_MS = 60_000;

/** When a token of this lifetime is announced as expiring (ms since epoch). */
export function expiringAtMs(token: { issuedAtS: number; expiresAtS: number }): number {
  const lifetimeMs = (token.expiresAtS - token.issuedAtS) * 1000;
  return token.expiresAtS * 1000 - Math.min(MAX_WARNING_MS, Math.max(0, lifetimeMs) / 2);
}

export class SessionLifetimes {
  private readonly recentlyRevoked = new Map<string, number>();

  constructor(
    private readonly deps: { clock: Clock; hub: ConnectionHub; publicKey: KeyObject; revocations: SessionRevocations },
  ) {
    deps.revocations.onRevoked((ended) => this.revoked(ended));
  }

  /** Verifies a token against this service's clock (handshake and refresh use the same check). */
  verify(token: string | undefined): TokenCaller {
    return authenticate(token, this.deps.publicKey, Math.floor(this.deps.clock.now() / 1000));
  }

  /** A socket was accepted: arm its expiry (or close it at once when its login just ended). */
  track(session: Session): void {
    if (this.recentlyRevoked.has(session.token.sessionId)) {
      this.end(session, 'session_revoked');
      return;
    }
    this.arm(session);
  }

  /** The socket closed: its timers go. */
  forget(session: Session): void {
    session.cancelLifetimeTimer?.();
    session.cancelLifetimeTimer = undefined;
  }

  /** session.refresh: a fresh token of the same user (and role) extends the socket. */
  async refresh(session: Session, accessToken: string): Promise<{ expiresAt: string }> {
    let fresh: TokenCaller;
    try {
      fresh = this.verify(accessToken);
    } catch (error) {
      throw new AppError('invalid_token', 'the new access token is not valid', { cause: error });
    }
    if (fresh.userId !== session.userId || fresh.role !== session.role) {
      throw new AppError('invalid_token', 'session.refresh needs a token of the same user');
    }
    if (await this.deps.revocations.isRevoked(fresh.sessionId)) {
      throw new AppError('invalid_token', 'the login of this token has ended; log in again', { details: { reason: 'session_revoked' } });
    }
    if (!session.closed) {
      session.token = { sessionId: fresh.sessionId, issuedAtS: fresh.issuedAt, expiresAtS: fresh.expiresAt };
      this.arm(session);
    }
    return { expiresAt: new Date(fresh.expiresAt * 1000).toISOString() };
  }

  /** True (and the socket is being closed) when the socket's token has run out: checked on every frame. */
  expired(session: Session): boolean {
    if (this.deps.clock.now() < session.token.expiresAtS * 1000) return false;
    this.end(session, 'token_expired');
    return true;
  }

  private arm(session: Session): void {
    this.forget(session);
    const { clock } = this.deps;
    const warnAt = expiringAtMs(session.token);
    const warn = () => {
      const expiresAtMs = session.token.expiresAtS * 1000;
      const frame = JSON.stringify({ type: 'session.expiring', data: { expiresAt: new Date(expiresAtMs).toISOString() } });
      this.deps.hub.sendFrame(session, 'session.expiring', frame);
      session.cancelLifetimeTimer = clock.after(expiresAtMs - clock.now(), () => this.end(session, 'token_expired'));
    };
    const delay = warnAt - clock.now();
    if (delay <= 0) warn();
    else session.cancelLifetimeTimer = clock.after(delay, warn);
  }

  private end(session: Session, reason: 'token_expired' | 'session_revoked'): void {
    this.forget(session);
    if (session.closed) return;
    session.closed = true;
    session.connection.close(WS_CLOSE_SESSION_ENDED, reason);
  }

  private revoked(ended: ReadonlySet<string>): void {
    const now = this.deps.clock.now();
    for (const [sessionId, at] of this.recentlyRevoked) if (now - at > RECENT_REVOCATION_MS) this.recentlyRevoked.delete(sessionId);
    for (const sessionId of ended) this.recentlyRevoked.set(sessionId, now);
    for (const session of this.deps.hub.all()) if (ended.has(session.token.sessionId)) this.end(session, 'session_revoked');
  }
}
