/**
 * Reconnect dedupe: apps re-send messages after a reconnect with the same `id`. The first answer
 * (ack or error frame) of each applied message is kept per user for a while; a duplicate gets that
 * answer replayed instead of being applied again. A duplicate that arrives while the first is still
 * being handled waits for the first's answer. In memory only: a restart forgets the receipts (the
 * ride mutations guard themselves in PostgreSQL with compare-and-set transitions).
 */
export interface Receipt {
  /** Resolves with the serialized answer frame. */
  answer: Promise<string>;
  expiresAt: number;
}

export class ReceiptStore {
  private readonly byUser = new Map<string, Map<string, Receipt>>();

  constructor(
    private readonly ttlMs: number,
    /** Receipts kept per user; the oldest go first (apps retry within seconds, not thousands of messages later). */
    private readonly maxPerUser = 256,
  ) {}

  /** The receipt of an earlier message with this id, if it is still fresh. */
  find(userId: string, messageId: string, now: number): Receipt | undefined {
    const receipt = this.byUser.get(userId)?.get(messageId);
    if (!receipt) return undefined;
    if (receipt.expiresAt <= now) {
      this.byUser.get(userId)?.delete(messageId);
      return undefined;
    }
    return receipt;
  }

  record(userId: string, messageId: string, answer: Promise<string>, now: number): void {
    let receipts = this.byUser.get(userId);
    if (!receipts) {
      receipts = new Map();
      this.byUser.set(userId, receipts);
    }
    receipts.delete(messageId);
    receipts.set(messageId, { answer, expiresAt: now + this.ttlMs });
    while (receipts.size > this.maxPerUser) {
      const oldest = receipts.keys().next().value as string;
      receipts.delete(oldest);
    }
  }

  /** Drops expired receipts (called on a timer). */
  sweep(now: number): void {
    for (const [userId, receipts] of this.byUser) {
      for (const [id, receipt] of receipts) {
        // Insertion order is expiry order (same TTL for all), so the first fresh one ends the walk.
        if (receipt.expiresAt > now) break;
        receipts.delete(id);
      }
      if (receipts.size === 0) this.byUser.delete(userId);
    }
  }

  size(): number {
    let n = 0;
    for (const receipts of this.byUser.values()) n += receipts.size;
    return n;
  }
}
