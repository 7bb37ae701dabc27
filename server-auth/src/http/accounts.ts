/** Wires the accounts half (OTP login, sessions, profile) and mounts its routers. */
import { Router, type RequestHandler } from 'express';
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { AuthConfig } from '../config.js';
import type { SmsSender } from '../domain/sms.js';
import { createSmsSender } from '../sms/index.js';
import { createOtpLogin } from '../usecases/otp-login.js';
import { createProfile } from '../usecases/profile.js';
import { createSessions } from '../usecases/sessions.js';
import { authRouter } from './auth.js';
import { usersRouter } from './users.js';

export interface AccountsDeps {
  pool: Pool;
  config: AuthConfig;
  logger: Logger;
  requireAuth: RequestHandler;
  /** Overrides the configured SMS sender (tests). */
  sms?: SmsSender;
}

export function accountsRouter(deps: AccountsDeps): Router {
  const sessions = createSessions(deps.pool, deps.config);
  const otp = createOtpLogin({
    pool: deps.pool,
    config: deps.config.otp,
    sms: deps.sms ?? createSmsSender(deps.config.sms, deps.pool),
    sessions,
    logger: deps.logger,
  });
  const router = Router();
  router.use(authRouter({ otp, sessions, publicKeyPem: deps.config.jwt.publicKeyPem }));
  router.use(usersRouter({ profile: createProfile(deps.pool), requireAuth: deps.requireAuth }));
  return router;
}
