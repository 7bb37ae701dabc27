/** /api/auth/*: OTP login, token refresh, logout, the JWKS. Thin: parse, call the use case, answer. */
import { Router } from 'express';
import { jwksOf } from '@drivrr/shared';
import {
  JwksResponse, LogoutBody, OtpSendBody, OtpSendResponse, OtpVerifyBody, OtpVerifyResponse, RefreshBody, TokenPair,
} from '@drivrr/shared/protocol';
import type { OtpLogin } from '../usecases/otp-login.js';
import type { Sessions } from '../usecases/sessions.js';
import { errorResponses, jsonContent, registerPath } from './openapi.js';
import { methodNotAllowed, validate } from './validate.js';

const parseSend = validate(OtpSendBody);
const parseVerify = validate(OtpVerifyBody);
const parseRefresh = validate(RefreshBody);
const parseLogout = validate(LogoutBody);

export function authRouter(deps: { otp: OtpLogin; sessions: Sessions; publicKeyPem: string }): Router {
  const router = Router();
  const jwks = jwksOf(deps.publicKeyPem);

  router.post('/api/auth/otp/send', async (req, res) => {
    res.status(202).json(await deps.otp.send(parseSend(req.body), req.ip ?? 'unknown'));
  });
  router.post('/api/auth/otp/verify', async (req, res) => {
    res.json(await deps.otp.verify(parseVerify(req.body), req.ip ?? 'unknown'));
  });
  router.post('/api/auth/refresh', async (req, res) => {
    res.json(await deps.sessions.rotate(parseRefresh(req.body).refreshToken));
  });
  router.post('/api/auth/logout', async (req, res) => {
    await deps.sessions.logout(parseLogout(req.body).refreshToken);
    res.status(204).end();
  });
  router.get('/api/auth/jwks.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(jwks);
  });
  for (const path of ['/api/auth/otp/send', '/api/auth/otp/verify', '/api/auth/refresh', '/api/auth/logout']) router.all(path, methodNotAllowed(['POST']));
  router.all('/api/auth/jwks.json', methodNotAllowed(['GET']));
  return router;
}

/** Every endpoint with a body may answer these (listed with the endpoint's own codes: one response per status). */
const bodyCodes = ['validation_failed', 'invalid_json', 'payload_too_large'] as const;

registerPath({
  method: 'post', path: '/api/auth/otp/send', tags: ['auth'],
  summary: 'Send a 6-digit login code by SMS (dev: to the dev outbox; test phones: nothing sent, fixed code)',
  request: { body: jsonContent(OtpSendBody, 'the phone (any format, normalised to E.164) and the role to log in as') },
  responses: {
    202: jsonContent(OtpSendResponse, 'code sent; valid expiresInS seconds, a new one may be asked after resendAfterS'),
    ...errorResponses('invalid_phone', 'forbidden', 'rate_limited', 'service_unavailable', ...bodyCodes),
  },
});
registerPath({
  method: 'post', path: '/api/auth/otp/verify', tags: ['auth'],
  summary: 'Verify the code; creates the account on first login',
  request: { body: jsonContent(OtpVerifyBody, 'phone, code and role') },
  responses: {
    200: jsonContent(OtpVerifyResponse, 'a token pair, the user, and whether the account was just created'),
    ...errorResponses('invalid_phone', 'invalid_code', 'code_expired', 'forbidden', 'too_many_attempts', 'rate_limited', ...bodyCodes),
  },
});
registerPath({
  method: 'post', path: '/api/auth/refresh', tags: ['auth'],
  summary: 'Rotate a refresh token: the old one stops working, a new pair is returned',
  request: { body: jsonContent(RefreshBody, 'the current refresh token') },
  responses: { 200: jsonContent(TokenPair, 'a new token pair'), ...errorResponses('invalid_refresh_token', 'token_reused', ...bodyCodes) },
});
registerPath({
  method: 'post', path: '/api/auth/logout', tags: ['auth'],
  summary: 'Revoke the refresh token and every token of its login (idempotent)',
  request: { body: jsonContent(LogoutBody, 'the refresh token') },
  responses: { 204: { description: 'logged out (also for unknown or already revoked tokens)' }, ...errorResponses(...bodyCodes) },
});
registerPath({
  method: 'get', path: '/api/auth/jwks.json', tags: ['auth'],
  summary: 'The public keys (JWKS) that verify access tokens (ES256)',
  responses: { 200: jsonContent(JwksResponse, 'JWKS') },
});
