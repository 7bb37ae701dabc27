/**
 * General limits of the authenticated REST API: per user (always) and per client IP (except the
 * trusted addresses: our simulators run thousands of users from one address). Answers 429
 * rate_limited with Retry-After. The client IP is Express's req.ip, which believes
 * X-Forwarded-For only from the proxies TRUST_PROXY names.
 */
import { BlockList, isIPv4 } from 'node:net';
import { AppError } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import type { ApiLimitsConfig } from '../config.js';
import { countedLimit } from '../db/rate-limits.js';

export interface ApiRateLimits {
  /** Counts one request of `userId` from `ip`; throws rate_limited (with retryAfterS) past a limit. */
  check(userId: string, ip: string | undefined): Promise<void>;
}

export function apiRateLimits(pool: Pool, config: ApiLimitsConfig): ApiRateLimits {
  const perUser = countedLimit(pool, 'api_user', config.userRequestsPerMin, 60);
  const perIp = countedLimit(pool, 'api_ip', config.ipRequestsPerMin, 60);
  const trusted = trustedList(config.trustedIps);

  return {
    async check(userId, clientIp) {
      const ip = plainIp(clientIp ?? '');
      const [userWait, ipWait] = await Promise.all([
        perUser.consume(userId),
        ip === '' || isTrusted(trusted, ip) ? Promise.resolve(0) : perIp.consume(ip),
      ]);
      if (userWait > 0) {
        throw new AppError('rate_limited', `at most ${config.userRequestsPerMin} requests a minute per user; slow down`, {
          retryAfterS: userWait, details: { scope: 'user', retryAfterS: userWait },
        });
      }
      if (ipWait > 0) {
        throw new AppError('rate_limited', 'too many requests from this network; slow down', {
          retryAfterS: ipWait, details: { scope: 'ip', retryAfterS: ipWait },
        });
      }
    },
  };
}

function trustedList(items: readonly string[]): BlockList {
  const list = new BlockList();
  for (const item of items) {
    const [address, bits] = item.split('/') as [string, string | undefined];
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d. */
function plainIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

function isTrusted(list: BlockList, ip: string): boolean {
  return list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
}
