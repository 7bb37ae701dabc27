/**
 * Access tokens: ES256 JWTs signed by the auth service, verified by both services with the public
 * key alone. The algorithm, issuer and audience are pinned (no `alg: none`, no HS256 key confusion).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from './errors.js';
import { Role } from './protocol/common.js';

export const ACCESS_TOKEN_ALGORITHM = 'ES256' as const;
export const ACCESS_TOKEN_ISSUER = 'drivrr-auth';
export const ACCESS_TOKEN_AUDIENCE = 'drivrr';
/** Default lifetime of an access token (the auth service's ACCESS_TOKEN_TTL_S sets it). */
export const ACCESS_TOKEN_TTL_S = 15 * 60;
/** The shortest lifetime ACCESS_TOKEN_TTL_S may set: sockets are warned min(60 s, half of it) before expiry. */
export const MIN_ACCESS_TOKEN_TTL_S = 30;

/** Ids in tokens are UUIDs; anything else signed by our key is still not a token we issued. */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export interface AccessClaims {
  sub: string;
  role: Role;
  /** The login (refresh-token family) this token belongs to: logout and revocation end it. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface SigningKeys {
  privateKeyPem: string;
  publicKeyPem: string;
  /** Key id, published in the JWKS and put in each token's header. */
  kid: string;
}

/** A fresh P-256 key pair (used by `drivrr up` on first start and by tests). */
export function generateSigningKeys(): SigningKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem,
    kid: keyIdOf(publicKeyPem),
  };
}

/** A stable key id: a SHA-256 of the public JWK's canonical members (as RFC 7638 thumbprints do). */
export function keyIdOf(publicKeyPem: string): string {
  const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

export function signAccessToken(
  /** `sid` defaults to a fresh id: a token of no stored login (fixtures, tools). */
  claims: { sub: string; role: Role; sid?: string },
  keys: { privateKey: KeyObject | string; kid: string },
  ttlS: number = ACCESS_TOKEN_TTL_S,
): { token: string; jti: string; expiresInS: number } {
  const jti = randomUUID();
  const key = typeof keys.privateKey === 'string' ? createPrivateKey(keys.privateKey) : keys.privateKey;
  const token = jwt.sign({ role: claims.role, sid: claims.sid ?? randomUUID() }, key, {
    algorithm: ACCESS_TOKEN_ALGORITHM,
    subject: claims.sub,
    issuer: ACCESS_TOKEN_ISSUER,
    audience: ACCESS_TOKEN_AUDIENCE,
    expiresIn: ttlS,
    jwtid: jti,
    keyid: keys.kid,
  });
  return { token, jti, expiresInS: ttlS };
}

/**
 * Verifies an access token with the public key only. Throws AppError `token_expired` or
 * `invalid_token`; never returns claims that were not signed by our key with ES256.
 */
export function verifyAccessToken(token: string, publicKey: KeyObject | string, nowS?: number): AccessClaims {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey, {
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      ...(nowS === undefined ? {} : { clockTimestamp: nowS }),
    });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new AppError('token_expired', 'the access token has expired');
    throw new AppError('invalid_token', 'the access token is not valid');
  }
  if (typeof payload === 'string') throw new AppError('invalid_token', 'the access token is not valid');
  const role = Role.safeParse(payload.role);
  const sid: unknown = payload.sid;
  if (!role.success || typeof payload.sub !== 'string' || typeof sid !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number' || typeof payload.iat !== 'number') {
    throw new AppError('invalid_token', 'the access token is missing claims');
  }
  // Our own ids are UUIDs: a signed token with anything else must not reach a uuid column (500).
  if (!UUID_PATTERN.test(payload.sub) || !UUID_PATTERN.test(sid)) throw new AppError('invalid_token', 'the access token is not valid');
  return { sub: payload.sub, role: role.data, sid, jti: payload.jti, iat: payload.iat, exp: payload.exp };
}

/** The JWKS document (`/api/auth/jwks.json`) for a public key. */
export function jwksOf(publicKeyPem: string): { keys: Record<string, unknown>[] } {
  const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: keyIdOf(publicKeyPem), alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' }] };
}

/** Pulls a bearer token out of an `Authorization` header value. */
export function bearerFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

/** Who is calling, as proven by a verified access token (both services use this shape). */
export interface Caller {
  userId: string;
  role: Role;
  /** The token's `jti`. */
  tokenId: string;
  /** The login (refresh-token family) of the token (`sid`). */
  sessionId: string;
  /** When the token was issued and when it expires (epoch seconds). */
  issuedAt: number;
  expiresAt: number;
}

/**
 * Express- and ws-independent authentication of an access token: verifies it with the public key
 * alone (ES256, issuer and audience pinned) and returns the caller. A missing token is
 * `unauthenticated`; a bad one `invalid_token`; an old one `token_expired`. Whether the user still
 * exists is the caller's business (the auth service checks its users table).
 */
export function authenticate(token: string | undefined, publicKey: KeyObject | string, nowS?: number): Caller {
  if (token === undefined || token === '') throw new AppError('unauthenticated', 'an access token is required (Authorization: Bearer ...)');
  const claims = verifyAccessToken(token, publicKey, nowS);
  return { userId: claims.sub, role: claims.role, tokenId: claims.jti, sessionId: claims.sid, issuedAt: claims.iat, expiresAt: claims.exp };
}
