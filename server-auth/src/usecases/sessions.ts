/**
 * Sessions: an access token plus an opaque refresh token per login. Refresh tokens rotate on every
 * use; a superseded token presented again revokes its whole family (someone copied it).
 */
import { createHash, createPrivateKey, randomBytes, randomUUID } from 'node:crypto';
import { AppError, keyIdOf, signAccessToken } from '@drivrr/shared';
import { withTransaction, type Pool } from '@drivrr/shared/db';
import type { Role, TokenPair } from '@drivrr/shared/protocol';
import { familyOfToken, insertRefreshToken, lockRefreshToken, markRotated, revokeFamily } from '../db/refresh-tokens.js';

export interface SessionsConfig {
  jwt: { privateKeyPem: string; publicKeyPem: string; accessTtlS: number };
  refresh: { ttlS: number; reuseGraceS: number };
}

export interface Sessions {
  /** Starts a new token family for a fresh login. */
  issue(user: { id: string; role: Role }): Promise<TokenPair>;
  rotate(refreshToken: string): Promise<TokenPair>;
  /** Revokes the token's family; unknown or already revoked tokens are fine (idempotent). */
  logout(refreshToken: string): Promise<void>;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const newRefreshToken = () => randomBytes(32).toString('base64url');

export function createSessions(pool: Pool, config: SessionsConfig): Sessions {
  const signing = { privateKey: createPrivateKey(config.jwt.privateKeyPem), kid: keyIdOf(config.jwt.publicKeyPem) };

  const accessTtlS = config.jwt.accessTtlS;
  /** The token's `sid` is the refresh-token family: the login that logout or revocation ends. */
  const accessFor = (user: { id: string; role: Role }, familyId: string) =>
    signAccessToken({ sub: user.id, role: user.role, sid: familyId }, signing, accessTtlS);

  return {
    async issue(user) {
      const refreshToken = newRefreshToken();
      const familyId = randomUUID();
      await insertRefreshToken(pool, { userId: user.id, familyId, tokenHash: hashOf(refreshToken), ttlS: config.refresh.ttlS });
      const access = accessFor(user, familyId);
      return { accessToken: access.token, refreshToken, expiresInS: access.expiresInS };
    },

    async rotate(presented) {
      const outcome = await withTransaction(pool, async (client) => {
        const stored = await lockRefreshToken(client, hashOf(presented));
        if (stored === undefined) return { error: new AppError('invalid_refresh_token', 'the refresh token is not valid; log in again') };
        if (stored.revoked) return { error: new AppError('invalid_refresh_token', 'the refresh token was revoked; log in again') };
        if (stored.expired) return { error: new AppError('invalid_refresh_token', 'the refresh token has expired; log in again') };
        if (stored.secondsSinceRotation !== null) {
          if (stored.secondsSinceRotation <= config.refresh.reuseGraceS) {
            // most likely the client's own retry of a refresh whose answer it lost or raced: refuse
            // this copy, but keep the family so the pair from the first answer stays good
            return {
              error: new AppError('invalid_refresh_token', 'this refresh token was just rotated; use the newest refresh token', {
                details: { reason: 'rotated_recently' },
              }),
            };
          }
          await revokeFamily(client, stored.familyId, accessTtlS);
          return { error: new AppError('token_reused', 'this refresh token was already used; every session of this login is now revoked') };
        }
        const refreshToken = newRefreshToken();
        const next = await insertRefreshToken(client, {
          userId: stored.userId, familyId: stored.familyId, tokenHash: hashOf(refreshToken), ttlS: config.refresh.ttlS,
        });
        await markRotated(client, stored.id, next.id);
        return { refreshToken, familyId: stored.familyId, user: { id: stored.userId, role: stored.role } };
      });
      // the revocation above must commit, so errors are thrown only after the transaction
      if ('error' in outcome) throw outcome.error;
      const access = accessFor(outcome.user, outcome.familyId);
      return { accessToken: access.token, refreshToken: outcome.refreshToken, expiresInS: access.expiresInS };
    },

    async logout(presented) {
      const familyId = await familyOfToken(pool, hashOf(presented));
      if (familyId !== undefined) await revokeFamily(pool, familyId, accessTtlS);
    },
  };
}
