-- Up Migration
-- ws_message_receipts was created for durable dedupe of client messages but never written:
-- dedupe of re-sent message ids is per process, in memory (server-realtime/src/ws/dedupe.ts),
-- and every ride write guards itself in PostgreSQL (compare-and-set, unique keys). A table that
-- nothing reads or writes only misleads; dedupe across nodes (the cluster) will bring the store
-- it needs, with its own expiry.
DROP TABLE IF EXISTS ws_message_receipts;

-- Down Migration
CREATE TABLE ws_message_receipts (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  message_id text NOT NULL,
  type       text NOT NULL,
  response   jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, message_id)
);
CREATE INDEX ws_message_receipts_created_idx ON ws_message_receipts (created_at);
