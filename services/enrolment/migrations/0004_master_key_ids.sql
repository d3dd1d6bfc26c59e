-- Keys that can be replaced while the service runs.

-- The id of the master key that wrapped each data key (a short fingerprint, never the
-- key). Null: wrapped before ids were recorded, read with each configured key in turn;
-- `bapas privacy rotate-key` records it.
ALTER TABLE client_data_keys ADD COLUMN master_key_id text;

-- The id of the look-up key a profile's NIK and name digests were made with. Null:
-- made from the master key, as before the look-up key was a secret of its own. The
-- service makes them again with its look-up key when it starts.
ALTER TABLE client_profiles ADD COLUMN lookup_key_id text;
