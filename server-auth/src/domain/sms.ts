/** The port through which codes leave the service; adapters live in src/sms/. */
import type { OtpRole } from '@drivrr/shared/protocol';

export interface SmsMessage {
  /** E.164. */
  phone: string;
  role: OtpRole;
  code: string;
  body: string;
}

export interface SmsSender {
  /** Sends the message or throws (the use case answers 503 service_unavailable and keeps the allowance). */
  send(message: SmsMessage): Promise<void>;
}
