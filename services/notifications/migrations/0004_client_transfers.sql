-- A klien transferred to another Bapas belongs to the new office (bapas_code) and has
-- the PK officer that office named, or none until one is named: the old office's
-- officer no longer supervises the klien and is no longer told of it.
ALTER TABLE clients
    ALTER COLUMN officer_id DROP NOT NULL,
    ALTER COLUMN officer_name DROP NOT NULL,
    ADD CONSTRAINT clients_officer_named CHECK ((officer_id IS NULL) = (officer_name IS NULL));
