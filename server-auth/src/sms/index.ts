/** Picks the SmsSender the configuration asks for. */
import type { Queryable } from '@drivrr/shared/db';
import type { SmsConfig } from '../config.js';
import type { SmsSender } from '../domain/sms.js';
import { devOutboxSender } from './dev-outbox.js';
import { twilioSender } from './twilio.js';

export function createSmsSender(config: SmsConfig, db: Queryable): SmsSender {
  return config.provider === 'twilio' ? twilioSender(config) : devOutboxSender(db);
}
