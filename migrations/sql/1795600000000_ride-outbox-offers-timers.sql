-- Up Migration
-- Issue 13: the rides module's outbox, offers as rows, and its timers as due rows.

-- Per-ride order of events: `seq` grows by one with each event of a ride. The counter lives in its
-- own row (not in `rides`) so taking it never waits for a bid's FOR SHARE on the ride; a
-- transaction holds it to its commit, so the events of one ride commit in seq order.
CREATE TABLE ride_event_seqs (
  ride_id  uuid PRIMARY KEY REFERENCES rides (id) ON DELETE CASCADE,
  last_seq integer NOT NULL CHECK (last_seq >= 0)
);

-- The outbox: the frames (and the parties whose state to re-read) an event decided, written in the
-- transaction that made the change; `announced_at` is set once this process has delivered them.
ALTER TABLE ride_events
  ADD COLUMN seq integer,
  ADD COLUMN effects jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN announced_at timestamptz;
UPDATE ride_events e SET seq = numbered.seq, announced_at = e.created_at
  FROM (SELECT id, row_number() OVER (PARTITION BY ride_id ORDER BY id) AS seq FROM ride_events) numbered
 WHERE numbered.id = e.id;
ALTER TABLE ride_events ALTER COLUMN seq SET NOT NULL;
INSERT INTO ride_event_seqs (ride_id, last_seq)
  SELECT r.id, coalesce(max(e.seq), 0) FROM rides r LEFT JOIN ride_events e ON e.ride_id = r.id GROUP BY r.id;
CREATE UNIQUE INDEX ride_events_ride_seq ON ride_events (ride_id, seq);
CREATE INDEX ride_events_unannounced_idx ON ride_events (ride_id, seq) WHERE announced_at IS NULL;

-- Offers are rows: who currently holds an offer of a ride is one query.
CREATE TABLE ride_offers (
  ride_id    uuid NOT NULL REFERENCES rides (id) ON DELETE CASCADE,
  driver_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status     text NOT NULL CHECK (status IN ('offered', 'withdrawn', 'expired', 'bid')),
  distance_m integer NOT NULL CHECK (distance_m >= 0),
  offered_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ride_id, driver_id)
);
CREATE INDEX ride_offers_current_by_driver_idx ON ride_offers (driver_id) WHERE status IN ('offered', 'bid');
INSERT INTO ride_offers (ride_id, driver_id, status, distance_m)
  SELECT DISTINCT ON (e.ride_id, (d->>'driverId')::uuid) e.ride_id, (d->>'driverId')::uuid,
         CASE WHEN r.status = 'requested' THEN 'offered' ELSE 'withdrawn' END, greatest(0, (d->>'distanceM')::integer)
    FROM ride_events e
    JOIN rides r ON r.id = e.ride_id
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.data->'drivers') = 'array' THEN e.data->'drivers' ELSE '[]'::jsonb END) d
   WHERE e.type = 'offered' AND (d->>'driverId') ~ '^[0-9a-fA-F-]{36}$' AND jsonb_typeof(d->'distanceM') = 'number'
     AND EXISTS (SELECT 1 FROM users u WHERE u.id = (d->>'driverId')::uuid)
   ORDER BY e.ride_id, (d->>'driverId')::uuid, e.id DESC;

-- Timers are due rows: the widening search's next tick of an open request (expiry is rides.expires_at,
-- a bid's is bids.expires_at), claimed with FOR UPDATE SKIP LOCKED by whichever process polls first.
ALTER TABLE rides
  ADD COLUMN next_tick_at timestamptz,
  ADD COLUMN match_tick integer NOT NULL DEFAULT 0 CHECK (match_tick >= 0),
  ADD COLUMN match_radius_index integer NOT NULL DEFAULT 0 CHECK (match_radius_index >= 0);
UPDATE rides SET next_tick_at = now() WHERE status = 'requested';
CREATE INDEX rides_next_tick_idx ON rides (next_tick_at) WHERE status = 'requested';
CREATE INDEX bids_open_expiry_idx ON bids (expires_at) WHERE status = 'open';

-- Down Migration
DROP INDEX IF EXISTS bids_open_expiry_idx;
DROP INDEX IF EXISTS rides_next_tick_idx;
ALTER TABLE rides DROP COLUMN IF EXISTS match_radius_index, DROP COLUMN IF EXISTS match_tick, DROP COLUMN IF EXISTS next_tick_at;
DROP TABLE IF EXISTS ride_offers;
DROP INDEX IF EXISTS ride_events_unannounced_idx;
DROP INDEX IF EXISTS ride_events_ride_seq;
ALTER TABLE ride_events DROP COLUMN IF EXISTS announced_at, DROP COLUMN IF EXISTS effects, DROP COLUMN IF EXISTS seq;
DROP TABLE IF EXISTS ride_event_seqs;
