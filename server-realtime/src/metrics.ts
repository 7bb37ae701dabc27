/**
 * Prometheus metrics of the realtime service (`GET /metrics`). One registry per server instance,
 * so tests that start several services in one process do not share counters.
 */
import client from 'prom-client';
import type { Role } from '@drivrr/shared/protocol';

export type HandshakeFailureReason = 'missing_token' | 'invalid_token' | 'token_expired' | 'session_revoked' | 'unknown_user' | 'not_found' | 'shutting_down' | 'db_unavailable' | 'bad_request';
export type DropReason = 'backpressure_coalesced' | 'socket_closed' | 'slow_consumer';

export class RealtimeMetrics {
  readonly registry = new client.Registry();
  private readonly dropped: client.Counter<'reason'>;
  private readonly handshakeFailures: client.Counter<'reason'>;
  private readonly errorsOut: client.Counter<'code'>;
  private readonly dedupeReplays: client.Counter;
  /**
   * Per-type message counts are kept as plain numbers and handed to prom-client at scrape time:
   * counting runs twice per fix, and prom-client's inc() (label hashing, value objects) was a
   * visible share of the fan-out's CPU.
   */
  private readonly inCounts = new Map<string, number>();
  private readonly outCounts = new Map<string, number>();

  constructor(connectionsByRole: () => Record<Role, number>) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'drivrr_realtime_', eventLoopMonitoringPrecision: 10 });
    new client.Gauge({
      name: 'drivrr_ws_connections',
      help: 'Open authenticated WebSocket connections by role',
      labelNames: ['role'],
      registers: [this.registry],
      collect() {
        const counts = connectionsByRole();
        for (const [role, n] of Object.entries(counts)) this.set({ role }, n);
      },
    });
    const inCounts = this.inCounts;
    const outCounts = this.outCounts;
    new client.Counter({
      name: 'drivrr_ws_messages_in_total',
      help: 'Client frames received, by message type (invalid frames as "invalid", refused by the rate limit as "rate_limited")',
      labelNames: ['type'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [type, n] of inCounts) this.inc({ type }, n);
      },
    });
    new client.Counter({
      name: 'drivrr_ws_messages_out_total',
      help: 'Server frames sent, by message type',
      labelNames: ['type'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [type, n] of outCounts) this.inc({ type }, n);
      },
    });
    this.dropped = new client.Counter({ name: 'drivrr_ws_dropped_frames_total', help: 'Server frames not delivered, by reason', labelNames: ['reason'], registers: [this.registry] });
    this.handshakeFailures = new client.Counter({ name: 'drivrr_ws_handshake_failures_total', help: 'Refused WebSocket handshakes, by reason', labelNames: ['reason'], registers: [this.registry] });
    this.errorsOut = new client.Counter({ name: 'drivrr_ws_error_frames_total', help: 'error frames sent, by error code', labelNames: ['code'], registers: [this.registry] });
    this.dedupeReplays = new client.Counter({ name: 'drivrr_ws_dedupe_replays_total', help: 'Messages answered from the dedupe store instead of being applied again', registers: [this.registry] });
    for (const reason of ['backpressure_coalesced', 'socket_closed', 'slow_consumer'] as const) this.dropped.inc({ reason }, 0);
  }

  /** `type` is a schema type or one of the transport's fixed labels: a bounded set. */
  messageIn(type: string): void {
    this.inCounts.set(type, (this.inCounts.get(type) ?? 0) + 1);
  }

  messageOut(type: string, count = 1): void {
    this.outCounts.set(type, (this.outCounts.get(type) ?? 0) + count);
  }

  frameDropped(reason: DropReason): void {
    this.dropped.inc({ reason });
  }

  handshakeFailed(reason: HandshakeFailureReason): void {
    this.handshakeFailures.inc({ reason });
  }

  errorSent(code: string): void {
    this.errorsOut.inc({ code });
  }

  dedupeReplayed(): void {
    this.dedupeReplays.inc();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
