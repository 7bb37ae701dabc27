/**
 * Message-id receipts shared by the nodes: an app that re-sends a message after reconnecting to
 * another node gets the first answer, not a second application. `SET NX` decides who handles an id;
 * a duplicate that finds the first still being handled (empty value) waits for its answer.
 */
import type { SharedReceipts } from '../ws/router.js';
import type { ClusterNode } from './node.js';

/** How often, and how long, a duplicate looks again for the first's answer. */
const POLL_MS = 25;
const WAIT_FOR_FIRST_MS = 15_000;

export class RedisReceipts implements SharedReceipts {
  constructor(
    private readonly node: ClusterNode,
    private readonly ttlMs: number,
  ) {}

  async claim(userId: string, messageId: string): Promise<string | null> {
    const key = this.node.keys.receipt(userId, messageId);
    const redis = this.node.redis;
    if ((await redis.set(key, '', 'PX', this.ttlMs, 'NX')) === 'OK') return null;
    const deadline = Date.now() + WAIT_FOR_FIRST_MS;
    for (;;) {
      const answer = await redis.get(key);
      if (answer === null) {
        // Expired or lost meanwhile (Redis restart): handle it here.
        return (await redis.set(key, '', 'PX', this.ttlMs, 'NX')) === 'OK' ? null : this.claim(userId, messageId);
      }
      if (answer !== '') return answer;
      // The first is still being handled (on this node or another): its answer is the answer.
      if (Date.now() > deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  settle(userId: string, messageId: string, frame: string): void {
    this.node.redis.set(this.node.keys.receipt(userId, messageId), frame, 'PX', this.ttlMs).catch((error: unknown) => this.node.failed(error, 'receipt'));
  }
}
