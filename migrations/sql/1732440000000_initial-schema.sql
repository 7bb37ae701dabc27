-- Up Migration
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone         text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  role          text NOT NULL CHECK (role IN ('customer', 'driver', 'operator')),
  name          text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 80),
  email         text CHECK (email IS NULL OR length(email) <= 254),
  rating_sum    integer NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
  rating_count  integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  -- the same phone may hold a customer and a driver account, never two of one role
  CONSTRAINT users_phone_role_unique UNIQUE (phone, role)
);

-- One-time codes are kept only as a keyed hash (HMAC); the row dies on success or after too many tries.
CREATE TABLE otp_codes (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone        text NOT NULL,
  role         text NOT NULL CHECK (role IN ('customer', 'driver', 'operator')),
  code_hash    text NOT NULL,
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
  expires_at   timestamptz NOT NULL,
  consumed_at  timestamptz,
  dead_at      timestamptz,
  request_ip   text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_codes_phone_created_idx ON otp_codes (phone, created_at DESC);
CREATE INDEX otp_codes_ip_created_idx ON otp_codes (request_ip, created_at DESC);

-- Development SMS outbox: what a real provider would have sent. Only written outside production.
CREATE TABLE dev_sms_outbox (
  id         bigserial PRIMARY KEY,
  phone      text NOT NULL,
  role       text NOT NULL,
  code       text NOT NULL,
  body       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dev_sms_outbox_phone_idx ON dev_sms_outbox (phone, id DESC);

-- Opaque refresh tokens, stored hashed; a family per login so reuse of a rotated token revokes it all.
CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id   uuid NOT NULL,
  token_hash  text NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  rotated_at  timestamptz,
  replaced_by uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE addresses (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 40),
  address    text NOT NULL CHECK (length(address) BETWEEN 1 AND 200),
  lat        double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng        double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user_idx ON addresses (user_id, created_at);

CREATE TABLE vehicles (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  driver_id  uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  make       text NOT NULL,
  model      text NOT NULL,
  color      text NOT NULL,
  plate      text NOT NULL,
  type       text NOT NULL CHECK (type IN ('car', 'bike', 'rickshaw')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rides (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id     uuid NOT NULL REFERENCES users (id),
  driver_id       uuid REFERENCES users (id),
  status          text NOT NULL CHECK (status IN ('requested', 'assigned', 'arrived', 'in_progress', 'completed', 'cancelled', 'expired')),
  pickup_lat      double precision NOT NULL CHECK (pickup_lat BETWEEN -90 AND 90),
  pickup_lng      double precision NOT NULL CHECK (pickup_lng BETWEEN -180 AND 180),
  pickup_address  text,
  dropoff_lat     double precision NOT NULL CHECK (dropoff_lat BETWEEN -90 AND 90),
  dropoff_lng     double precision NOT NULL CHECK (dropoff_lng BETWEEN -180 AND 180),
  dropoff_address text,
  fare            bigint NOT NULL CHECK (fare > 0),
  agreed_fare     bigint CHECK (agreed_fare > 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  payment_method  text NOT NULL CHECK (payment_method IN ('cash', 'wallet')),
  distance_m      integer NOT NULL CHECK (distance_m >= 0),
  duration_s      integer NOT NULL CHECK (duration_s >= 0),
  suggested_fare  bigint NOT NULL CHECK (suggested_fare > 0),
  minimum_fare    bigint NOT NULL CHECK (minimum_fare > 0),
  accepted_bid_id uuid,
  cancelled_by    text CHECK (cancelled_by IN ('customer', 'driver', 'system')),
  cancel_reason   text,
  cancelled_from  text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  assigned_at     timestamptz,
  arrived_at      timestamptz,
  started_at      timestamptz,
  completed_at    timestamptz,
  cancelled_at    timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  version         integer NOT NULL DEFAULT 0,
  -- a ride past the haggling has a driver and an agreed fare
  CONSTRAINT rides_assigned_has_driver CHECK (
    status NOT IN ('assigned', 'arrived', 'in_progress', 'completed') OR (driver_id IS NOT NULL AND agreed_fare IS NOT NULL)
  ),
  CONSTRAINT rides_cancelled_has_who CHECK (status <> 'cancelled' OR cancelled_by IS NOT NULL)
);
-- one live ride per customer and per driver: the database, not the code, is the last guard
CREATE UNIQUE INDEX rides_one_active_per_customer ON rides (customer_id)
  WHERE status IN ('requested', 'assigned', 'arrived', 'in_progress');
CREATE UNIQUE INDEX rides_one_active_per_driver ON rides (driver_id)
  WHERE status IN ('assigned', 'arrived', 'in_progress');
CREATE INDEX rides_customer_created_idx ON rides (customer_id, created_at DESC, id DESC);
CREATE INDEX rides_driver_created_idx ON rides (driver_id, created_at DESC, id DESC);
CREATE INDEX rides_open_idx ON rides (status, expires_at) WHERE status = 'requested';

CREATE TABLE bids (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ride_id     uuid NOT NULL REFERENCES rides (id) ON DELETE CASCADE,
  driver_id   uuid NOT NULL REFERENCES users (id),
  fare        bigint NOT NULL CHECK (fare > 0),
  eta_s       integer NOT NULL CHECK (eta_s >= 0),
  distance_m  integer NOT NULL CHECK (distance_m >= 0),
  status      text NOT NULL CHECK (status IN ('open', 'accepted', 'rejected', 'expired', 'withdrawn')),
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- one open bid per driver per ride, and at most one accepted bid per ride
CREATE UNIQUE INDEX bids_one_open_per_driver ON bids (ride_id, driver_id) WHERE status = 'open';
CREATE UNIQUE INDEX bids_one_accepted_per_ride ON bids (ride_id) WHERE status = 'accepted';
CREATE INDEX bids_ride_idx ON bids (ride_id, created_at);
ALTER TABLE rides ADD CONSTRAINT rides_accepted_bid_fk FOREIGN KEY (accepted_bid_id) REFERENCES bids (id);

-- The timeline of a ride: append-only.
CREATE TABLE ride_events (
  id          bigserial PRIMARY KEY,
  ride_id     uuid NOT NULL REFERENCES rides (id) ON DELETE CASCADE,
  type        text NOT NULL,
  from_status text,
  to_status   text,
  actor_role  text NOT NULL CHECK (actor_role IN ('customer', 'driver', 'system')),
  actor_id    uuid REFERENCES users (id),
  data        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ride_events_ride_idx ON ride_events (ride_id, id);

CREATE TABLE ratings (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ride_id    uuid NOT NULL REFERENCES rides (id) ON DELETE CASCADE,
  rater_id   uuid NOT NULL REFERENCES users (id),
  ratee_id   uuid NOT NULL REFERENCES users (id),
  stars      smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
  comment    text CHECK (comment IS NULL OR length(comment) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ratings_one_per_rater UNIQUE (ride_id, rater_id)
);

-- Double-entry ledger. Accounts carry a cached balance updated in the same transaction as the
-- entries; entries and transactions are never updated or deleted (triggers below).
CREATE TABLE ledger_accounts (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id   uuid REFERENCES users (id),
  kind       text NOT NULL CHECK (kind IN ('customer_wallet', 'driver_wallet', 'platform_revenue', 'external_funding', 'cash_settlement')),
  currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  balance    bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- a customer's wallet never goes below zero; a driver's may (commission owed on cash rides)
  CONSTRAINT ledger_accounts_customer_non_negative CHECK (kind <> 'customer_wallet' OR balance >= 0),
  CONSTRAINT ledger_accounts_owner_kind CHECK ((owner_id IS NULL) = (kind IN ('platform_revenue', 'external_funding', 'cash_settlement')))
);
CREATE UNIQUE INDEX ledger_accounts_owner_unique ON ledger_accounts (owner_id, kind, currency) WHERE owner_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_accounts_system_unique ON ledger_accounts (kind, currency) WHERE owner_id IS NULL;

CREATE TABLE ledger_transactions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind            text NOT NULL CHECK (kind IN ('wallet_topup', 'ride_wallet_payment', 'ride_cash_commission')),
  amount          bigint NOT NULL CHECK (amount > 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  ride_id         uuid REFERENCES rides (id),
  initiator_id    uuid REFERENCES users (id),
  idempotency_key text,
  description     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- a retried top-up never charges twice; a ride is settled once
  CONSTRAINT ledger_transactions_idempotency UNIQUE (initiator_id, idempotency_key),
  CONSTRAINT ledger_transactions_ride_once UNIQUE (ride_id, kind)
);

CREATE TABLE ledger_entries (
  id             bigserial PRIMARY KEY,
  transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
  account_id     uuid NOT NULL REFERENCES ledger_accounts (id),
  amount         bigint NOT NULL CHECK (amount <> 0),
  balance_after  bigint NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id, id DESC);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END $$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- Every transaction's entries sum to zero, checked at commit.
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
  SELECT coalesce(sum(amount), 0) INTO total FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance (sum %)', NEW.transaction_id, total;
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- Answers of WebSocket messages already applied, so a client's re-send after reconnect is not applied twice.
CREATE TABLE ws_message_receipts (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  message_id text NOT NULL,
  type       text NOT NULL,
  response   jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, message_id)
);
CREATE INDEX ws_message_receipts_created_idx ON ws_message_receipts (created_at);

-- Down Migration
DROP TABLE IF EXISTS ws_message_receipts;
DROP TABLE IF EXISTS ledger_entries;
DROP TABLE IF EXISTS ledger_transactions;
DROP TABLE IF EXISTS ledger_accounts;
DROP FUNCTION IF EXISTS ledger_check_balanced();
DROP FUNCTION IF EXISTS ledger_refuse_change();
DROP TABLE IF EXISTS ratings;
DROP TABLE IF EXISTS ride_events;
ALTER TABLE IF EXISTS rides DROP CONSTRAINT IF EXISTS rides_accepted_bid_fk;
DROP TABLE IF EXISTS bids;
DROP TABLE IF EXISTS rides;
DROP TABLE IF EXISTS vehicles;
DROP TABLE IF EXISTS addresses;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS dev_sms_outbox;
DROP TABLE IF EXISTS otp_codes;
DROP TABLE IF EXISTS users;
