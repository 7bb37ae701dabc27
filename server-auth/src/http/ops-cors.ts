/**
 * CORS for the live operations map (ops-map, served by the realtime service at :8081/ops): its
 * sign-in form calls the OTP and refresh endpoints here, on another port, so another origin.
 * Allowed: only an origin on the SAME HOST as this request (any port), only these POST routes,
 * only a JSON body, never with credentials (no cookies here anyway: tokens travel in bodies).
 * A page from any other site gets no CORS headers, so the browser keeps the answer from it.
 */
import type { NextFunction, Request, Response } from 'express';

const OPS_CORS_PATHS = new Set(['/api/auth/otp/send', '/api/auth/otp/verify', '/api/auth/refresh', '/api/auth/logout']);

/** True when `origin` (scheme://host[:port]) names the same host as the request's Host header. */
export function isSameHostOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  let originHost: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    originHost = url.hostname;
  } catch {
    return false;
  }
  let requestHost: string;
  try {
    requestHost = new URL(`http://${hostHeader}`).hostname;
  } catch {
    return false;
  }
  return originHost.toLowerCase() === requestHost.toLowerCase();
}

export function opsCors() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (!origin || !OPS_CORS_PATHS.has(req.path) || !isSameHostOrigin(origin, req.headers.host)) {
      next();
      return;
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'POST');
      res.setHeader('access-control-allow-headers', 'content-type');
      res.setHeader('access-control-max-age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
