-- Wajib lapor and transfers between offices.
--   * daily_counts: reports recorded (by status) and due dates missed, transfers in and
--     out of an office, and klien recommended for revocation counted as the other
--     distinct-klien figures are (a single recommendation here, several in klien_facts
--     as kind 'revocation');
--   * klien: bapas_code is now the office holding the klien (it follows a transfer),
--     release_bapas_code the office that released it, whose release row keeps the
--     klien's cohort counters; revocation_recommended stands from a recommendation to
--     the klien's next report;
--   * office_counts: klien under supervision whose revocation is recommended, at the
--     office holding them, as klien_under_supervision is.
ALTER TABLE daily_counts
    ADD COLUMN reports_reported                        integer NOT NULL DEFAULT 0,
    ADD COLUMN reports_late                            integer NOT NULL DEFAULT 0,
    ADD COLUMN reports_excused                         integer NOT NULL DEFAULT 0,
    ADD COLUMN reports_missed                          integer NOT NULL DEFAULT 0,
    ADD COLUMN klien_recommended_for_revocation_single integer NOT NULL DEFAULT 0,
    ADD COLUMN transfers_in                            integer NOT NULL DEFAULT 0,
    ADD COLUMN transfers_out                           integer NOT NULL DEFAULT 0;

ALTER TABLE klien
    ADD COLUMN release_bapas_code     text,
    ADD COLUMN revocation_recommended boolean NOT NULL DEFAULT false;
-- Until now no klien moved: the office holding a released klien is the one that
-- released it.
UPDATE klien SET release_bapas_code = bapas_code WHERE released_on IS NOT NULL;

ALTER TABLE office_counts
    ADD COLUMN klien_revocation_pending integer NOT NULL DEFAULT 0;
