-- Up Migration
-- Counters of the rate limits that several auth instances must agree on and that survive a
-- restart (per client IP and per user), in the layout of rate-limiter-flexible's PostgreSQL store:
-- `key` is "<limit>:<subject>", `points` the hits in the current window, `expire` its end (epoch ms).
CREATE TABLE rate_limits (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
CREATE INDEX rate_limits_expire_idx ON rate_limits (expire);

-- OTP: when the latest wrong code was entered, for the growing delay before the next try.
ALTER TABLE otp_codes ADD COLUMN last_failed_at timestamptz;

-- Down Migration
ALTER TABLE otp_codes DROP COLUMN IF EXISTS last_failed_at;
DROP TABLE IF EXISTS rate_limits;
