-- Up Migration
-- A driver's open bids are looked up on every accept (the driver's other bids are withdrawn) and
-- when they go offline; without this index that is a scan of every bid ever placed.
CREATE INDEX bids_open_by_driver_idx ON bids (driver_id) WHERE status = 'open';

-- Down Migration
DROP INDEX IF EXISTS bids_open_by_driver_idx;
