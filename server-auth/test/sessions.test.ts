import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys, signAccessToken } from '@drivrr/shared';
import { TokenPair } from '@drivrr/shared/protocol';
import { createUser, loginViaOtp, startTestStack, tokenFor, type TestStack } from '../../test-support/stack.js';
import { loadAuthConfig } from '../src/index.js';
import { api } from './accounts-helpers.js';

let stack: TestStack;
let http: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startTestStack({ realtime: false });
  http = api(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Makes a rotated token look older than the reuse grace. */
async function ageRotations() {
  await stack.query(`UPDATE refresh_tokens SET rotated_at = rotated_at - interval '1 minute' WHERE rotated_at IS NOT NULL`);
}

describe('access tokens', () => {
  it('publishes the JWKS whose key verifies our tokens', async () => {
    const answer = await http.get('/api/auth/jwks.json');
    expect(answer.status).toBe(200);
    expect(answer.body.keys).toHaveLength(1);
    expect(answer.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: stack.keys.kid });
    expect(answer.body.keys[0].d).toBeUndefined();
  });

  it('signs ES256 tokens with sub, role, jti, iat, exp, iss and aud (15 minutes)', async () => {
    const login = await loginViaOtp(stack, undefined, 'driver');
    const [header, payload] = login.accessToken.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'ES256', kid: stack.keys.kid });
    expect(payload).toMatchObject({ sub: login.user.id, role: 'driver', iss: 'drivrr-auth', aud: 'drivrr' });
    expect(payload.exp - payload.iat).toBe(900);
    expect(typeof payload.jti).toBe('string');
  });

  it('refuses a request without a token with unauthenticated', async () => {
    const answer = await http.get('/api/users/me');
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthenticated');
  });

  it('refuses a non-bearer Authorization header with invalid_token', async () => {
    const answer = await http.call('GET', '/api/users/me', { headers: { authorization: 'Basic abc' } });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_token');
  });

  it('refuses a token signed by another key', async () => {
    const user = await createUser(stack, 'customer');
    const forged = tokenFor(generateSigningKeys(), user.id, 'customer');
    const answer = await http.get('/api/users/me', forged);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_token');
  });

  it('refuses an expired token with token_expired', async () => {
    const user = await createUser(stack, 'customer');
    const expired = signAccessToken({ sub: user.id, role: 'customer' }, { privateKey: stack.keys.privateKeyPem, kid: stack.keys.kid }, -10).token;
    const answer = await http.get('/api/users/me', expired);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('token_expired');
  });

  it('refuses an alg:none token', async () => {
    const user = await createUser(stack, 'customer');
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: user.id, role: 'customer', jti: 'x', iat: now, exp: now + 900, iss: 'drivrr-auth', aud: 'drivrr' })}.`;
    const answer = await http.get('/api/users/me', none);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_token');
  });

  it('refuses an HS256 token keyed with our public key (key confusion)', async () => {
    const user = await createUser(stack, 'customer');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: user.id, role: 'customer', jti: 'x', iat: now, exp: now + 900, iss: 'drivrr-auth', aud: 'drivrr' })}`;
    const signature = createHmac('sha256', stack.keys.publicKeyPem).update(unsigned).digest('base64url');
    const answer = await http.get('/api/users/me', `${unsigned}.${signature}`);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_token');
  });

  it('refuses a valid token of a deleted account', async () => {
    const login = await loginViaOtp(stack);
    await stack.query(`DELETE FROM users WHERE id = $1`, [login.user.id]);
    const answer = await http.get('/api/users/me', login.accessToken);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_token');
  });

  it('refuses a token whose role does not match the account', async () => {
    const user = await createUser(stack, 'customer');
    const answer = await http.get('/api/users/me', tokenFor(stack.keys, user.id, 'driver'));
    expect(answer.status).toBe(401);
  });
});

describe('refresh tokens', () => {
  it('rotates on every use: the new pair works, the refresh token changes', async () => {
    const login = await loginViaOtp(stack);
    const first = await http.post('/api/auth/refresh', { refreshToken: login.refreshToken });
    expect(first.status).toBe(200);
    const pair = TokenPair.parse(first.body);
    expect(pair.refreshToken).not.toBe(login.refreshToken);
    expect((await http.get('/api/users/me', pair.accessToken)).status).toBe(200);
    const second = await http.post('/api/auth/refresh', { refreshToken: pair.refreshToken });
    expect(second.status).toBe(200);
  });

  it('stores refresh tokens only as SHA-256 hashes', async () => {
    const login = await loginViaOtp(stack);
    const { rows } = await stack.query<{ token_hash: string }>(`SELECT token_hash FROM refresh_tokens WHERE user_id = $1`, [login.user.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.token_hash).not.toBe(login.refreshToken);
  });

  it('refuses a reused refresh token and revokes the family', async () => {
    const login = await loginViaOtp(stack);
    const rotated = TokenPair.parse((await http.post('/api/auth/refresh', { refreshToken: login.refreshToken })).body);
    await ageRotations();

    const reuse = await http.post('/api/auth/refresh', { refreshToken: login.refreshToken });

    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('token_reused');
    const afterRevocation = await http.post('/api/auth/refresh', { refreshToken: rotated.refreshToken });
    expect(afterRevocation.status).toBe(401);
    expect(afterRevocation.body.error.code).toBe('invalid_refresh_token');
  });

  it('keeps other logins of the same user when one family is revoked', async () => {
    const phone = (await loginViaOtp(stack)).user.phone;
    const a = await loginViaOtp(stack, phone);
    const b = await loginViaOtp(stack, phone);
    await http.post('/api/auth/refresh', { refreshToken: a.refreshToken });
    await ageRotations();
    expect((await http.post('/api/auth/refresh', { refreshToken: a.refreshToken })).body.error.code).toBe('token_reused');
    expect((await http.post('/api/auth/refresh', { refreshToken: b.refreshToken })).status).toBe(200);
  });

  it('answers an immediate retry of the same refresh with 401 but keeps the family (grace)', async () => {
    const login = await loginViaOtp(stack);
    const rotated = TokenPair.parse((await http.post('/api/auth/refresh', { refreshToken: login.refreshToken })).body);

    const retry = await http.post('/api/auth/refresh', { refreshToken: login.refreshToken });

    expect(retry.status).toBe(401);
    expect(retry.body.error).toMatchObject({ code: 'invalid_refresh_token', details: { reason: 'rotated_recently' } });
    expect((await http.post('/api/auth/refresh', { refreshToken: rotated.refreshToken })).status).toBe(200);
  });

  it('lets one of two concurrent refreshes with the same token win', async () => {
    const login = await loginViaOtp(stack);
    const answers = await Promise.all([1, 2].map(() => http.post('/api/auth/refresh', { refreshToken: login.refreshToken })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
  });

  it('refuses unknown and expired refresh tokens with invalid_refresh_token', async () => {
    const unknown = await http.post('/api/auth/refresh', { refreshToken: 'x'.repeat(43) });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_refresh_token');

    const login = await loginViaOtp(stack);
    await stack.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [login.user.id]);
    const expired = await http.post('/api/auth/refresh', { refreshToken: login.refreshToken });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('invalid_refresh_token');
  });

  it('logs out: 204, the family is revoked, and logging out again is still 204', async () => {
    const login = await loginViaOtp(stack);
    const rotated = TokenPair.parse((await http.post('/api/auth/refresh', { refreshToken: login.refreshToken })).body);

    const out = await http.post('/api/auth/logout', { refreshToken: rotated.refreshToken });

    expect(out.status).toBe(204);
    expect((await http.post('/api/auth/refresh', { refreshToken: rotated.refreshToken })).body.error.code).toBe('invalid_refresh_token');
    expect((await http.post('/api/auth/logout', { refreshToken: rotated.refreshToken })).status).toBe(204);
    expect((await http.post('/api/auth/logout', { refreshToken: 'y'.repeat(43) })).status).toBe(204);
  });
});

describe('the login id (sid) and the token lifetime', () => {
  const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string; iat: number; exp: number };

  it('puts the refresh-token family in every access token of a login as sid, kept across refreshes', async () => {
    const login = await loginViaOtp(stack);
    const { rows } = await stack.query<{ family_id: string }>(`SELECT family_id FROM refresh_tokens WHERE user_id = $1`, [login.user.id]);
    expect(claimsOf(login.accessToken).sid).toBe(rows[0]!.family_id);
    const rotated = await http.post('/api/auth/refresh', { refreshToken: login.refreshToken });
    expect(claimsOf(rotated.body.accessToken as string).sid).toBe(rows[0]!.family_id);
  });

  it('refuses on REST an access token whose login was logged out (session_revoked)', async () => {
    const login = await loginViaOtp(stack);
    expect((await http.get('/api/users/me', login.accessToken)).status).toBe(200);
    expect((await http.post('/api/auth/logout', { refreshToken: login.refreshToken })).status).toBe(204);
    const answer = await http.get('/api/users/me', login.accessToken);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('session_revoked');
  });

  it('sets the lifetime from ACCESS_TOKEN_TTL_S (at least 30 s)', async () => {
    const short = await startTestStack({ realtime: false, authEnv: { ACCESS_TOKEN_TTL_S: '30' } });
    try {
      const login = await loginViaOtp(short);
      expect(login.expiresInS).toBe(30);
      const claims = claimsOf(login.accessToken);
      expect(claims.exp - claims.iat).toBe(30);
    } finally {
      await short.stop();
    }
    expect(() => loadAuthConfig({ ...stack.env, ACCESS_TOKEN_TTL_S: '29' })).toThrow(/ACCESS_TOKEN_TTL_S/);
  });
});
