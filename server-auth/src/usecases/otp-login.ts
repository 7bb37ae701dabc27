/**
 * OTP login: send a code, verify it, create the account on first login, start a session.
 * Limits, all counted in PostgreSQL (they survive restarts and every instance agrees): per phone
 * (resend interval, hourly and daily caps, a growing delay after wrong codes), per client IP (sends,
 * and failed verifies), per code (wrong guesses, counted atomically). Only phones of the countries
 * in OTP_ALLOWED_COUNTRIES get codes (SMS-pumping fraud).
 */
import { AppError } from '@drivrr/shared';
import { withTransaction, type Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { OtpRole, OtpSendBody, OtpVerifyBody, OtpVerifyResponse } from '@drivrr/shared/protocol';
import type { OtpConfig } from '../config.js';
import {
  consumeCode, deleteCode, failuresSinceLogin, insertCode, killOtherLiveCodes, latestCode, lockPhoneForSend, recordWrongGuess, sendHistory,
} from '../db/otp-codes.js';
import { countedLimit } from '../db/rate-limits.js';
import { findOrCreateUser } from '../db/users.js';
import { generateCode, hashCode, hashesMatch, refusalOf, smsBody, verifyDelayS, type CodeRefusal } from '../domain/otp.js';
import { countryOfPhone, normalisePhone, testCodeFor } from '../domain/phones.js';
import type { SmsSender } from '../domain/sms.js';
import type { Sessions } from './sessions.js';

export interface OtpLoginDeps {
  pool: Pool;
  config: OtpConfig;
  sms: SmsSender;
  sessions: Sessions;
  logger: Logger;
}

export interface OtpLogin {
  send(body: OtpSendBody, clientIp: string): Promise<{ expiresInS: number; resendAfterS: number }>;
  verify(body: OtpVerifyBody, clientIp: string): Promise<OtpVerifyResponse>;
}

export function createOtpLogin(deps: OtpLoginDeps): OtpLogin {
  const { pool, config } = deps;
  const ipSends = countedLimit(pool, 'otp_ip_sends', config.ipSendsPerHour, 3600);
  const ipVerifyFailures = countedLimit(pool, 'otp_ip_verify_failures', config.ipVerifyFailures, config.ipVerifyWindowS);

  function phoneAndRole(input: { phone: string; role: OtpRole }): string {
    const phone = normalisePhone(input.phone, config.defaultCountry);
    if (phone === undefined) {
      throw new AppError('invalid_phone', `"${input.phone}" is not a valid phone number (use E.164, e.g. +923001234567)`);
    }
    const country = countryOfPhone(phone);
    if (country === undefined || !config.allowedCountries.has(country)) {
      throw new AppError('country_not_allowed', `codes are sent only to phones of ${[...config.allowedCountries].join(', ')}`, {
        details: { country: country ?? null, allowedCountries: [...config.allowedCountries] },
      });
    }
    if (input.role === 'operator' && !config.operatorPhones.has(phone)) {
      throw new AppError('forbidden', 'this phone may not log in as an operator');
    }
    return phone;
  }

  function refusalError(refusal: CodeRefusal): AppError {
    switch (refusal) {
      case 'no_code':
        return new AppError('invalid_code', 'no code is pending for this phone and role; request a new code');
      case 'consumed':
        return new AppError('invalid_code', 'this code was already used; request a new code');
      case 'dead':
        return new AppError('too_many_attempts', 'too many wrong codes (or a newer code was sent); request a new code');
      case 'expired':
        return new AppError('code_expired', 'the code has expired; request a new code');
    }
  }

  return {
    async send(body, clientIp) {
      const phone = phoneAndRole(body);
      const fixedCode = testCodeFor(phone, config.testPhones);
      const isTestPhone = fixedCode !== undefined;

      if (!isTestPhone) {
        const ipWait = await ipSends.retryAfterS(clientIp);
        if (ipWait > 0) {
          throw new AppError('rate_limited', 'too many codes requested from this network; try again later', {
            retryAfterS: ipWait, details: { scope: 'ip', retryAfterS: ipWait },
          });
        }
      }

      const code = fixedCode ?? generateCode();
      const inserted = await withTransaction(pool, async (client) => {
        await lockPhoneForSend(client, phone);
        if (!isTestPhone) {
          const history = await sendHistory(client, phone, body.role, config.sendsPerHour, config.sendsPerDay);
          if (history.secondsSinceLastForRole !== null && history.secondsSinceLastForRole < config.resendIntervalS) {
            const wait = Math.max(1, Math.ceil(config.resendIntervalS - history.secondsSinceLastForRole));
            throw new AppError('rate_limited', `a code was just sent; you can ask for a new one in ${wait} s`, {
              retryAfterS: wait, details: { scope: 'phone', retryAfterS: wait },
            });
          }
          if (history.sentLastHour >= config.sendsPerHour) {
            const wait = Math.max(1, Math.ceil(history.secondsUntilOldestLeavesHour));
            throw new AppError('rate_limited', `at most ${config.sendsPerHour} codes an hour per phone; try again later`, {
              retryAfterS: wait, details: { scope: 'phone', retryAfterS: wait },
            });
          }
          if (history.sentLastDay >= config.sendsPerDay) {
            const wait = Math.max(1, Math.ceil(history.secondsUntilDayFrees));
            throw new AppError('rate_limited', `at most ${config.sendsPerDay} codes a day per phone; try again later`, {
              retryAfterS: wait, details: { scope: 'phone_day', retryAfterS: wait },
            });
          }
        }
        return insertCode(client, {
          phone, role: body.role, codeHash: hashCode(config.pepper, phone, body.role, code),
          ttlS: config.ttlS, maxAttempts: config.maxAttempts, requestIp: clientIp,
        });
      });

      if (!isTestPhone) {
        await ipSends.hit(clientIp);
        try {
          await deps.sms.send({ phone, role: body.role, code, body: smsBody(code, config.ttlS) });
        } catch (error) {
          // a send that never reached the person must not use up their (or their network's) allowance
          await deleteCode(pool, inserted.id);
          await ipSends.undo(clientIp);
          deps.logger.error({ err: error }, 'SMS provider failed');
          throw new AppError('service_unavailable', 'the code could not be sent right now; try again shortly', { retryAfterS: 5 });
        }
      }
      await killOtherLiveCodes(pool, phone, body.role, inserted.id);
      return { expiresInS: config.ttlS, resendAfterS: isTestPhone ? 0 : config.resendIntervalS };
    },

    async verify(body, clientIp) {
      const phone = phoneAndRole(body);
      const ipWait = await ipVerifyFailures.retryAfterS(clientIp);
      if (ipWait > 0) {
        throw new AppError('rate_limited', 'too many failed codes from this network; try again later', {
          retryAfterS: ipWait, details: { scope: 'ip', retryAfterS: ipWait },
        });
      }
      if (testCodeFor(phone, config.testPhones) === undefined) {
        const { failures, secondsSinceLast } = await failuresSinceLogin(pool, phone);
        const wait = Math.ceil(verifyDelayS(failures, config.freeFailures) - (secondsSinceLast ?? Infinity));
        if (wait > 0) {
          throw new AppError('rate_limited', `after ${failures} wrong codes, wait ${wait} s before the next try`, {
            retryAfterS: wait, details: { scope: 'phone_backoff', retryAfterS: wait },
          });
        }
      }
      const failed = async (error: AppError): Promise<AppError> => {
        await ipVerifyFailures.hit(clientIp);
        return error;
      };

      const stored = await latestCode(pool, phone, body.role);
      const refusal = refusalOf(stored);
      if (refusal !== undefined || stored === undefined) throw await failed(refusalError(refusal ?? 'no_code'));

      const presented = hashCode(config.pepper, phone, body.role, body.code);
      if (!hashesMatch(stored.codeHash, presented)) {
        const counted = await recordWrongGuess(pool, stored.id);
        if (counted === undefined) throw await failed(refusalError(refusalOf(await latestCode(pool, phone, body.role)) ?? 'dead'));
        const attemptsLeft = Math.max(0, counted.maxAttempts - counted.attempts);
        throw await failed(
          new AppError('invalid_code', attemptsLeft > 0 ? `wrong code; ${attemptsLeft} tries left` : 'wrong code; no tries left, request a new code', {
            details: { attemptsLeft },
          }),
        );
      }

      if (!(await consumeCode(pool, stored.id))) {
        // a concurrent verify used (or killed) the code between our read and our write
        throw await failed(refusalError(refusalOf(await latestCode(pool, phone, body.role)) ?? 'consumed'));
      }
      const { user, created } = await findOrCreateUser(pool, phone, body.role);
      const pair = await deps.sessions.issue(user);
      return { ...pair, user, isNewUser: created };
    },
  };
}
