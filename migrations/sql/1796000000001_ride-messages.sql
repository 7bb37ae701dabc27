-- Up Migration
-- Issue 17: in-ride chat (contract 1.1). A message is stored in the transaction that appends its
-- ride event (the outbox), so it is stored before it is delivered. `client_message_id` is the id of
-- the sender's chat.send frame: a re-sent frame finds its message instead of storing it twice.
CREATE TABLE ride_messages (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Orders a ride's messages as they were written (two within one millisecond included).
  ordinal           bigint GENERATED ALWAYS AS IDENTITY,
  ride_id           uuid NOT NULL REFERENCES rides (id) ON DELETE CASCADE,
  sender_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  sender_role       text NOT NULL CHECK (sender_role IN ('customer', 'driver')),
  body              text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
  client_message_id text CHECK (client_message_id IS NULL OR char_length(client_message_id) BETWEEN 1 AND 64),
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ride_messages_ride_idx ON ride_messages (ride_id, ordinal);
CREATE UNIQUE INDEX ride_messages_client_id_idx ON ride_messages (ride_id, sender_id, client_message_id)
  WHERE client_message_id IS NOT NULL;

-- Down Migration
DROP TABLE ride_messages;
