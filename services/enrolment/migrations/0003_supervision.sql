-- Wajib lapor and transfers between offices.
-- A klien's reporting schedule and compliance, kept with the klien; the job that records
-- missed due dates reads the klien whose next due date has passed (clients_due_to_report).
-- Klien released before this migration have no schedule (reporting_every_days is null):
-- the job gives them the default one, starting from the day it first runs.
ALTER TABLE clients
    ADD COLUMN reporting_first_due_on date,
    ADD COLUMN reporting_every_days   integer,
    ADD COLUMN next_due_on            date,
    ADD COLUMN missed_in_a_row        integer NOT NULL DEFAULT 0,
    ADD COLUMN revocation_recommended boolean NOT NULL DEFAULT false;
-- A transfer that names no PK officer at the new office leaves the klien without one.
ALTER TABLE clients ALTER COLUMN pk_officer DROP NOT NULL;
CREATE INDEX clients_due_to_report ON clients (next_due_on) WHERE status = 'under_supervision';

-- One row per due date answered or missed: a report for a due date recorded as missed
-- keeps `missed` true and takes the report's outcome.
CREATE TABLE client_reports (
    client_id   uuid NOT NULL REFERENCES clients,
    due_on      date NOT NULL,
    outcome     text NOT NULL,
    missed      boolean NOT NULL DEFAULT false,
    reported_on date,
    channel     text,
    note        text,
    PRIMARY KEY (client_id, due_on)
);
