/** SmsSender for development: writes the message to dev_sms_outbox, where `drivrr otp` reads it. */
import type { Queryable } from '@drivrr/shared/db';
import { insertOutboxMessage } from '../db/dev-sms-outbox.js';
import type { SmsSender } from '../domain/sms.js';

export function devOutboxSender(db: Queryable): SmsSender {
  return {
    async send(message) {
      await insertOutboxMessage(db, message);
    },
  };
}
