-- The insights service's read model, fed by the projection "insights.figures" from the
-- pokmas and enrolment topics. Three kinds of table:
--   * daily_counts: counters, one row per office, business date, programme, Pokmas and
--     skill (the nil uuid or '' where an event has none), so that a figure for any
--     period and any breakdown sums a few rows;
--   * the state of what "now" figures follow (klien, enrolments, programmes, MoUs,
--     Pokmas), one row per entity;
--   * facts about klien that a count of distinct klien over a period needs
--     (employments, re-offences, completions, withdrawals for work), of which only
--     klien with several facts of a kind are read by a query.
-- No table holds a klien's personal data: klien are known by their pseudonymous id.

CREATE TABLE daily_counts (
    bapas_code                      text    NOT NULL,
    day                             date    NOT NULL,
    programme_id                    uuid    NOT NULL,
    pokmas_id                       uuid    NOT NULL,
    -- The row's own skill (an employment's); '' where the skill is the programme's.
    skill                           text    NOT NULL,
    klien_released                  integer NOT NULL DEFAULT 0,
    enrolments                      integer NOT NULL DEFAULT 0,
    completions                     integer NOT NULL DEFAULT 0,
    completions_competent           integer NOT NULL DEFAULT 0,
    withdrawn_moved                 integer NOT NULL DEFAULT 0,
    withdrawn_employed              integer NOT NULL DEFAULT 0,
    withdrawn_health                integer NOT NULL DEFAULT 0,
    withdrawn_revoked               integer NOT NULL DEFAULT 0,
    withdrawn_non_attendance        integer NOT NULL DEFAULT 0,
    withdrawn_other                 integer NOT NULL DEFAULT 0,
    supervisions_completed          integer NOT NULL DEFAULT 0,
    supervisions_revoked            integer NOT NULL DEFAULT 0,
    pokmas_registered               integer NOT NULL DEFAULT 0,
    -- Cohort counters, on the row of the klien's release: of the klien released that
    -- day, how many re-offended (ever) and found a first job within 183 days.
    cohort_reoffended               integer NOT NULL DEFAULT 0,
    cohort_employed_within_6_months integer NOT NULL DEFAULT 0,
    -- Klien with a single fact of a kind (see klien_facts), at that fact's row.
    klien_employed_single           integer NOT NULL DEFAULT 0,
    klien_reoffended_single         integer NOT NULL DEFAULT 0,
    klien_completed_single          integer NOT NULL DEFAULT 0,
    klien_employed_after_single     integer NOT NULL DEFAULT 0,
    withdrawn_for_work_unrecorded_single integer NOT NULL DEFAULT 0,
    PRIMARY KEY (bapas_code, day, programme_id, pokmas_id, skill)
) WITH (fillfactor = 70);
-- Counters are updated in place many times: room on each page lets PostgreSQL keep an
-- updated row on its page without touching the indexes (a HOT update), so the table
-- and its indexes do not bloat between vacuums.
CREATE INDEX daily_counts_by_pokmas ON daily_counts (pokmas_id, day);

CREATE TABLE klien (
    client_id         uuid    PRIMARY KEY,
    bapas_code        text    NOT NULL,
    released_on       date,
    supervised        boolean NOT NULL DEFAULT false,
    first_employed_on date,
    reoffended        boolean NOT NULL DEFAULT false
);

CREATE TABLE enrolments (
    enrolment_id uuid    PRIMARY KEY,
    bapas_code   text    NOT NULL,
    client_id    uuid,
    programme_id uuid,
    pokmas_id    uuid,
    suspended    boolean NOT NULL DEFAULT false
);
CREATE INDEX enrolments_suspended ON enrolments (bapas_code) WHERE suspended;

-- A programme may be learnt from an enrolment before its ProgrammeOpened arrives (the
-- two topics are read side by side): its status is null until then.
CREATE TABLE programmes (
    programme_id uuid    PRIMARY KEY,
    bapas_code   text    NOT NULL,
    pokmas_id    uuid,
    skill        text,
    capacity     integer NOT NULL DEFAULT 0,
    status       text,
    seats_taken  integer NOT NULL DEFAULT 0
);

CREATE TABLE mous (
    mou_id      uuid    PRIMARY KEY,
    bapas_code  text    NOT NULL,
    pokmas_id   uuid,
    active      boolean,
    valid_until date
);

CREATE TABLE pokmas (
    pokmas_id  uuid PRIMARY KEY,
    bapas_code text NOT NULL,
    name       text NOT NULL
);
CREATE INDEX pokmas_by_bapas ON pokmas (bapas_code, name, pokmas_id);

-- What counts distinct klien over a period: one row per fact of a klien (an employment,
-- a re-offence, a completion, a withdrawal for work). A klien with one fact of a kind
-- ("single") is counted by daily_counts' *_single counters at its fact's row; only klien
-- with several facts of a kind are counted distinct from this table, and they are few.
--   flag: for a completion, whether an employment of the klien starts on or after it;
--         for a withdrawal for work, whether the klien has no employment recorded.
CREATE TABLE klien_facts (
    client_id    uuid    NOT NULL,
    kind         text    NOT NULL,
    aggregate_id uuid    NOT NULL,
    version      integer NOT NULL,
    bapas_code   text    NOT NULL,
    day          date    NOT NULL,
    programme_id uuid    NOT NULL,
    pokmas_id    uuid    NOT NULL,
    skill        text    NOT NULL,
    single       boolean NOT NULL,
    flag         boolean NOT NULL,
    PRIMARY KEY (client_id, kind, aggregate_id, version)
) WITH (fillfactor = 80);
CREATE INDEX klien_facts_of_several ON klien_facts (kind, bapas_code, day) WHERE NOT single;

CREATE TABLE office_counts (
    bapas_code              text    PRIMARY KEY,
    klien_under_supervision integer NOT NULL DEFAULT 0
);

-- One row: how far the figures are (the recorded_at of the newest event applied) and a
-- count of events applied, which changes whenever any figure may have changed.
CREATE TABLE figures_state (
    singleton      boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    as_of          timestamptz,
    events_applied bigint      NOT NULL DEFAULT 0
);
INSERT INTO figures_state DEFAULT VALUES;
