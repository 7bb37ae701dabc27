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
export const ACCESS_TOKEN_TTL_S = 15 * 60;

export interface AccessClaims {
  sub: string;
  role: Role;
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
  claims: { sub: string; role: Role },
  keys: { privateKey: KeyObject | string; kid: string },
  ttlS: number = ACCESS_TOKEN_TTL_S,
): { token: string; jti: string; expiresInS: number } {
  const jti = randomUUID();
  const key = typeof keys.privateKey === 'string' ? createPrivateKey(keys.privateKey) : keys.privateKey;
  const token = jwt.sign({ role: claims.role }, key, {
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
export function verifyAccessToken(token: string, publicKey: KeyObject | string): AccessClaims {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey, {
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
    });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new AppError('token_expired', 'the access token has expired');
    throw new AppError('invalid_token', 'the access token is not valid');
  }
  if (typeof payload === 'string') throw new AppError('invalid_token', 'the access token is not valid');
  const role = Role.safeParse(payload.role);
  if (!role.success || typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number' || typeof payload.iat !== 'number') {
    throw new AppError('invalid_token', 'the access token is missing claims');
  }
  return { sub: payload.sub, role: role.data, jti: payload.jti, iat: payload.iat, exp: payload.exp };
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
  /** When the token expires (epoch seconds). */
  expiresAt: number;
}

/**
 * Express- and ws-independent authentication of an access token: verifies it with the public key
 * alone (ES256, issuer and audience pinned) and returns the caller. A missing token is
 * `unauthenticated`; a bad one `invalid_token`; an old one `token_expired`. Whether the user still
 * exists is the caller's business (the auth service checks its users table).
 */
export function authenticate(token: string | undefined, publicKey: KeyObject | string): Caller {
  if (token === undefined || token === '') throw new AppError('unauthenticated', 'an access token is required (Authorization: Bearer ...)');
  const claims = verifyAccessToken(token, publicKey);
  return { userId: claims.sub, role: claims.role, tokenId: claims.jti, expiresAt: claims.exp };
}
