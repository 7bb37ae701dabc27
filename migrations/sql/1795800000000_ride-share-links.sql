-- Up Migration
-- Issue 17: links a customer shares so that family can follow a trip (contract 1.1). The token
-- itself is never stored: only its SHA-256 (it is 32 random bytes, so a plain hash is enough to
-- make a leaked table useless). Written by the auth service, read by the realtime service.
CREATE TABLE ride_share_links (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ride_id     uuid NOT NULL REFERENCES rides (id) ON DELETE CASCADE,
  created_by  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX ride_share_links_ride_idx ON ride_share_links (ride_id);

-- Down Migration
DROP TABLE ride_share_links;
