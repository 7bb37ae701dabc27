-- Up Migration
-- Issue 17: the vehicle type a customer asks for (contract 1.1, "Vehicle types"). Requests made
-- before types existed were car requests, hence the default. Offers go only to drivers whose
-- vehicles.type matches (checked by the realtime service's matching, not by a constraint here).
ALTER TABLE rides ADD COLUMN vehicle_type text NOT NULL DEFAULT 'car'
  CONSTRAINT rides_vehicle_type_check CHECK (vehicle_type IN ('car', 'bike', 'rickshaw'));

-- Down Migration
ALTER TABLE rides DROP COLUMN vehicle_type;
