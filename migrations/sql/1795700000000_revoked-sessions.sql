-- Up Migration
-- Logins (refresh-token families) that ended: by logout, or revocation after a refresh token was
-- reused. Written by the auth service in the same statement that revokes the family; read by the
-- realtime service, which closes that login's sockets (polling new rows by id) and refuses its
-- access tokens at the handshake. A row is needed only while an access token of that login could
-- still be valid: `expires_at` is the revocation time plus the access-token lifetime.
CREATE TABLE revoked_sessions (
  id         bigserial PRIMARY KEY,
  session_id uuid NOT NULL UNIQUE,
  revoked_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_sessions_expires_idx ON revoked_sessions (expires_at);

-- Down Migration
DROP TABLE IF EXISTS revoked_sessions;
