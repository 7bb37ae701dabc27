/**
 * The message router: every inbound frame goes through `dispatch`, which never throws. Order of
 * checks: rate limit, parse (shared schema), role, dedupe by id, handler. The answer to a frame
 * with an `id` is an `ack` or an `error` with that id; a frame without id gets no ack, only an
 * error when it failed.
 */
import { isAppError } from '@drivrr/shared';
import { databaseDownError } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import { clientMessageRoles, parseClientFrame, type ClientMessage, type ClientMessageType } from '@drivrr/shared/protocol';
import type { RealtimeMetrics } from '../metrics.js';
import type { HandlerContext, MessageHandler, MessageRouter } from './contracts.js';
import type { ReceiptStore } from './dedupe.js';
import type { ConnectionHub } from './hub.js';
import type { Session } from './session.js';

/** Close code for a sustained flood past the rate limit (policy violation). */
export const CLOSE_POLICY_VIOLATION = 1008;

type AnyHandler = (ctx: HandlerContext, data: unknown) => unknown;

/** A registered message type: its handler and who may send it (looked up once per frame). */
interface Route {
  handler: AnyHandler;
  roles: ReadonlySet<Session['role']>;
}

/**
 * Cluster mode: receipts every node sees (cluster/receipts.ts). `claim` resolves null when this
 * node handles the message, else with the first answer (waiting while the first is in flight).
 */
export interface SharedReceipts {
  claim(userId: string, messageId: string): Promise<string | null>;
  settle(userId: string, messageId: string, frame: string): void;
}

/** Frames a socket may send while its previous message's shared receipt is looked up. */
const MAX_GATED = 64;

export interface RouterOptions {
  hub: ConnectionHub;
  receipts: ReceiptStore;
  metrics: RealtimeMetrics;
  logger: Logger;
  floodCloseAfter: number;
  /** Cluster mode: receipts shared with the other nodes (single mode: only the local ReceiptStore). */
  sharedReceipts?: SharedReceipts;
  now?: () => number;
  /** True when the socket's token has run out (it is then being closed and the frame is dropped). */
  sessionEnded?: (session: Session) => boolean;
}

export class MessageDispatcher implements MessageRouter {
  private readonly routes = new Map<ClientMessageType, Route>();
  private readonly now: () => number;

  constructor(private readonly options: RouterOptions) {
    this.now = options.now ?? Date.now;
  }

  on<T extends ClientMessageType>(type: T, handler: MessageHandler<T>): void {
    if (this.routes.has(type)) throw new Error(`a handler for ${type} is already registered`);
    this.routes.set(type, { handler: handler as AnyHandler, roles: new Set(clientMessageRoles[type]) });
  }

  handles(type: ClientMessageType): boolean {
    return this.routes.has(type);
  }

  /** Handles one inbound frame of `session`. Never throws. */
  dispatch(session: Session, raw: Buffer | string): void {
    if (session.closed) return;
    if (session.gate !== null) {
      // Cluster mode: an earlier message waits for its shared receipt; later ones keep their order.
      if (session.gate.length >= MAX_GATED) session.connection.close(CLOSE_POLICY_VIOLATION, 'too many messages in flight');
      else session.gate.push(raw);
      return;
    }
    const now = this.now();
    if (this.options.sessionEnded?.(session)) return;
    const parsed = parseClientFrame(raw);
    if (!session.bucket.take(now)) {
      this.rateLimited(session, parsed.ok ? parsed.message.id : parsed.id);
      return;
    }
    session.strikes = 0;
    if (!parsed.ok) {
      this.options.metrics.messageIn('invalid');
      this.sendError(session, parsed.id, parsed.code, parsed.message, parsed.details);
      return;
    }
    const message = parsed.message;
    this.options.metrics.messageIn(message.type);
    const route = this.routes.get(message.type);
    const allowed = route !== undefined ? route.roles.has(session.role) : clientMessageRoles[message.type].includes(session.role);
    if (!allowed) {
      this.sendError(session, message.id, 'forbidden', `${session.role}s may not send ${message.type}`);
      return;
    }
    if (route === undefined) {
      this.sendError(session, message.id, 'service_unavailable', `${message.type} is not served by this deployment`);
      return;
    }
    const handler = route.handler;
    if (message.id === undefined) {
      // Without an id there is nothing to acknowledge, so no ack is built; failures are still
      // reported. The common case (location.update, handled synchronously) allocates nothing here.
      this.runUnacknowledged(handler, message, session);
      return;
    }
    const messageId = message.id;
    const receipts = this.options.receipts;
    const earlier = receipts.find(session.userId, messageId, now);
    if (earlier) {
      this.options.metrics.dedupeReplayed();
      void earlier.answer.then((frame) => this.sendAnswer(session, frame));
      return;
    }
    const shared = this.options.sharedReceipts;
    if (shared !== undefined) {
      this.dispatchShared(shared, handler, message, session, messageId, now);
      return;
    }
    const settled = this.answer(handler, message, session);
    const answer = typeof settled === 'string' ? Promise.resolve(settled) : settled;
    receipts.record(session.userId, messageId, answer, now);
    void answer.then((frame) => this.sendAnswer(session, frame));
  }

  /**
   * Cluster mode: the id is claimed in Redis before the handler runs (it may have been handled on
   * another node before a reconnect); the socket's later frames wait behind the claim, in order.
   */
  private dispatchShared(shared: SharedReceipts, handler: AnyHandler, message: ClientMessage, session: Session, messageId: string, now: number): void {
    session.gate = [];
    const userId = session.userId;
    const answer = shared
      .claim(userId, messageId)
      .catch((error: unknown) => {
        // Redis away: handle it here (the ride writes guard themselves against a second application).
        this.options.logger.warn({ err: error }, 'shared dedupe receipt unavailable; handling the message');
        return null;
      })
      .then((earlier) => {
        const gated = session.gate ?? [];
        session.gate = null;
        let own: string | Promise<string>;
        if (earlier !== null) {
          this.options.metrics.dedupeReplayed();
          own = earlier;
        } else {
          own = this.answer(handler, message, session);
          void Promise.resolve(own).then((frame) => shared.settle(userId, messageId, frame));
        }
        for (let i = 0; i < gated.length; i++) {
          // A gated frame may itself have claimed a shared receipt: the rest wait behind it.
          const regated = session.gate as (string | Buffer)[] | null;
          if (regated !== null) {
            regated.push(...gated.slice(i));
            break;
          }
          this.dispatch(session, gated[i] as Buffer | string);
        }
        return own;
      });
    this.options.receipts.record(userId, messageId, answer, now);
    void answer.then((frame) => this.sendAnswer(session, frame));
  }

  /**
   * Runs a handler; its answer frame (ack or error): a string when the handler answered
   * synchronously, else a promise of it that never rejects.
   */
  private answer(handler: AnyHandler, message: ClientMessage, session: Session): string | Promise<string> {
    const ctx: HandlerContext = { caller: session.caller, messageId: message.id };
    let result: unknown;
    try {
      result = handler(ctx, message.data);
    } catch (error) {
      return this.errorFrameFor(error, message);
    }
    if (isThenable(result)) {
      return new Promise<string>((resolve) => {
        result.then(
          (data) => resolve(this.ackOrError(message, data)),
          (error: unknown) => resolve(this.errorFrameFor(error, message)),
        );
      });
    }
    return this.ackOrError(message, result);
  }

  /** Runs the handler of an id-less message: only a failure is answered (with an error frame). */
  private runUnacknowledged(handler: AnyHandler, message: ClientMessage, session: Session): void {
    let result: unknown;
    try {
      result = handler(session.unacknowledgedContext, message.data);
    } catch (error) {
      this.options.hub.sendFrame(session, 'error', this.errorFrameFor(error, message));
      return;
    }
    if (isThenable(result)) {
      result.then(undefined, (error: unknown) => this.options.hub.sendFrame(session, 'error', this.errorFrameFor(error, message)));
    }
  }

  private ackOrError(message: ClientMessage, data: unknown): string {
    try {
      return ackFrame(message.id, data);
    } catch (error) {
      return this.errorFrameFor(error, message);
    }
  }

  private sendAnswer(session: Session, frame: string): void {
    this.options.hub.sendFrame(session, frame.startsWith('{"type":"ack"') ? 'ack' : 'error', frame);
  }

  private errorFrameFor(error: unknown, message: ClientMessage): string {
    const appError = isAppError(error) ? error : databaseDownError(error);
    if (appError) {
      this.options.metrics.errorSent(appError.code);
      const details = appError.retryAfterS === undefined ? appError.details : { ...appError.details, retryAfterS: appError.retryAfterS };
      return errorFrame(message.id, appError.code, appError.message, details);
    }
    this.options.logger.error({ err: error, type: message.type }, 'a message handler failed unexpectedly');
    this.options.metrics.errorSent('internal_error');
    return errorFrame(message.id, 'internal_error', 'the server could not handle this message');
  }

  private rateLimited(session: Session, id: string | undefined): void {
    session.strikes += 1;
    this.options.metrics.messageIn('rate_limited');
    const retryAfterS = Math.round(session.bucket.retryAfterS() * 1000) / 1000;
    this.sendError(session, id, 'rate_limited', 'too many messages; slow down', { retryAfterS });
    if (session.strikes >= this.options.floodCloseAfter) {
      this.options.logger.warn({ userId: session.userId }, 'closing a socket that kept flooding past the rate limit');
      session.connection.close(CLOSE_POLICY_VIOLATION, 'rate limit exceeded');
      session.closed = true;
    }
  }

  private sendError(session: Session, id: string | undefined, code: string, message: string, details?: Record<string, unknown>): void {
    this.options.metrics.errorSent(code);
    this.options.hub.sendFrame(session, 'error', errorFrame(id, code, message, details));
  }
}

export function ackFrame(id: string | undefined, data: unknown): string {
  const idPart = id === undefined ? '' : `,"id":${JSON.stringify(id)}`;
  return data === undefined ? `{"type":"ack"${idPart}}` : `{"type":"ack"${idPart},"data":${JSON.stringify(data)}}`;
}

export function errorFrame(id: string | undefined, code: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'error', ...(id === undefined ? {} : { id }), error: { code, message, ...(details ? { details } : {}) } });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
