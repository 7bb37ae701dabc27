/**
 * chat.send (contract 1.1): a message between the parties of a ride. Thin: read the ride under a
 * share lock (a status change waits for us, and we for it), ask the pure rules (domain/chat.ts),
 * store the message and its `chat_message` event in one transaction; the announcer then delivers
 * chat.message to the other party with the ride's seq, so it is stored before it is delivered and
 * ordered with the ride's other frames. A chat.send re-sent with the same message id finds the
 * message stored the first time (the unique index on the client id) instead of storing it twice.
 */
import type { ChatSendAck, ClientMessageDataOf } from '@drivrr/shared/protocol';
import { CHAT_RATE_WINDOW_MS, decideChatMessage } from '../domain/chat.js';
import { orThrow } from '../domain/result.js';
import type { Caller } from '../ws/contracts.js';
import { inTransaction, type RideContext } from './context.js';
import { frame } from './effects.js';

export class ChatCommands {
  constructor(private readonly ctx: RideContext) {}

  async send(caller: Caller, data: ClientMessageDataOf<'chat.send'>, clientMessageId: string | undefined): Promise<ChatSendAck> {
    const { clock } = this.ctx;
    return inTransaction(this.ctx, async (store, events) => {
      const row = await store.shareLockRide(data.rideId);
      if (row && clientMessageId !== undefined) {
        const earlier = await store.findMessageByClientId(row.id, caller.userId, clientMessageId);
        if (earlier) return { messageId: earlier.messageId, sentAt: earlier.sentAt };
      }
      const now = clock.now();
      const recent = row ? await store.countMessagesSince(row.id, caller.userId, new Date(now - CHAT_RATE_WINDOW_MS)) : 0;
      const ride = row ? { status: row.status, customerId: row.customer_id, driverId: row.driver_id } : undefined;
      const delivery = orThrow(decideChatMessage(ride, caller.userId, recent)).state;
      const stored = await store.insertRideMessage({
        rideId: data.rideId,
        senderId: caller.userId,
        senderRole: delivery.from,
        text: data.text,
        clientMessageId: clientMessageId ?? null,
        sentAt: new Date(now),
      });
      // Undefined: the same message id won a race a moment ago; answer with that message.
      const message = stored ?? (await store.findMessageByClientId(data.rideId, caller.userId, clientMessageId as string));
      if (!message) throw new Error('chat: the message is neither stored nor found');
      if (stored) {
        events.push({
          rideId: data.rideId,
          type: 'chat_message',
          actorRole: delivery.from,
          actorId: caller.userId,
          data: { messageId: message.messageId, from: delivery.from },
          effects: { frames: [frame(delivery.to, 'chat.message', message)] },
        });
      }
      return { messageId: message.messageId, sentAt: message.sentAt };
    });
  }
}
