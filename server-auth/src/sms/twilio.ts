/**
 * SmsSender for Twilio's Messages REST API (POST /2010-04-01/Accounts/{sid}/Messages.json, basic
 * auth, form body). `baseUrl` is configurable so tests point it at a local fake server.
 */
import type { SmsSender } from '../domain/sms.js';

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  from: string;
  baseUrl: string;
  timeoutMs: number;
}

export class SmsProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SmsProviderError';
  }
}

export function twilioSender(options: TwilioOptions): SmsSender {
  const url = `${options.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  return {
    async send(message) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ To: message.phone, From: options.from, Body: message.body }).toString(),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        throw new SmsProviderError('the SMS provider could not be reached', { cause: error });
      }
      // drain the body so the connection can be reused
      const text = await response.text().catch(() => '');
      if (!response.ok) throw new SmsProviderError(`the SMS provider answered ${response.status}: ${text.slice(0, 200)}`);
    },
  };
}
