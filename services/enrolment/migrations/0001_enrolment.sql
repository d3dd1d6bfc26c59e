-- The enrolment service's own tables.

-- Projection of pokmas.events.v1 (enrolment.pokmas): the MoUs and programmes the
-- rules of domain.md 2-4 are checked against. A rebuild empties these two tables only.
CREATE TABLE pokmas_mous (
    mou_id      uuid PRIMARY KEY,
    pokmas_id   uuid NOT NULL,
    bapas_code  text NOT NULL,
    status      text NOT NULL,
    valid_from  date NOT NULL,
    valid_until date NOT NULL,
    scope       text[] NOT NULL
);

CREATE TABLE pokmas_programmes (
    programme_id     uuid PRIMARY KEY,
    pokmas_id        uuid NOT NULL,
    mou_id           uuid NOT NULL,
    bapas_code       text NOT NULL,
    skill            text NOT NULL,
    title            text NOT NULL,
    capacity         integer NOT NULL,
    starts_on        date NOT NULL,
    ends_on          date NOT NULL,
    sessions_planned integer NOT NULL,
    status           text NOT NULL
);
CREATE INDEX pokmas_programmes_by_mou ON pokmas_programmes (mou_id);

-- The MoU events whose reaction (suspending or resuming enrolments) is done. The
-- consumer's tracking already applies each event once; this row keeps a rebuild of
-- the projection, which replays old MoU events, from reacting to them a second time.
CREATE TABLE mou_reactions (
    cause_event_id uuid PRIMARY KEY
);

-- Read models of the service's own aggregates, written in the command's transaction.
CREATE TABLE clients (
    client_id            uuid PRIMARY KEY,
    seq                  bigserial NOT NULL UNIQUE,
    bapas_code           text NOT NULL,
    register_number      text NOT NULL,
    integration_type     text NOT NULL,
    released_on          date NOT NULL,
    supervision_ends_on  date NOT NULL,
    pk_officer           jsonb NOT NULL,
    status               text NOT NULL,
    supervision_ended_on date,
    supervision_outcome  text,
    employments          jsonb NOT NULL DEFAULT '[]',
    reoffences           jsonb NOT NULL DEFAULT '[]',
    profile_erased_on    date,
    version              integer NOT NULL
);
CREATE INDEX clients_by_bapas ON clients (bapas_code, seq);

CREATE TABLE enrolments (
    enrolment_id       uuid PRIMARY KEY,
    seq                bigserial NOT NULL UNIQUE,
    client_id          uuid NOT NULL REFERENCES clients,
    bapas_code         text NOT NULL,
    programme_id       uuid NOT NULL,
    pokmas_id          uuid NOT NULL,
    mou_id             uuid NOT NULL,
    programme_starts_on date NOT NULL,
    programme_ends_on  date NOT NULL,
    sessions_planned   integer NOT NULL,
    enrolled_on        date NOT NULL,
    status             text NOT NULL,
    sessions_attended  integer NOT NULL DEFAULT 0,
    completed_on       date,
    assessment         text,
    certificate_number text,
    withdrawn_on       date,
    withdrawal_reason  text,
    withdrawal_note    text,
    suspension_reason  text,
    version            integer NOT NULL
);
CREATE INDEX enrolments_by_bapas ON enrolments (bapas_code, seq);
CREATE INDEX enrolments_by_client ON enrolments (client_id);
-- The seats of a programme: its enrolments that are not withdrawn (rule 2).
CREATE INDEX enrolments_seated ON enrolments (programme_id) WHERE status <> 'withdrawn';

CREATE TABLE enrolment_attendance (
    enrolment_id uuid NOT NULL REFERENCES enrolments,
    session_no   integer NOT NULL,
    session_date date NOT NULL,
    status       text NOT NULL,
    concern      text,
    PRIMARY KEY (enrolment_id, session_no)
);

-- Klien profiles, encrypted (see services/enrolment/profiles.py). Erasure deletes both
-- rows; the NIK is kept only as a keyed digest, unique per Bapas.
CREATE TABLE client_data_keys (
    client_id   uuid PRIMARY KEY,
    wrapped_key bytea NOT NULL
);

CREATE TABLE client_profiles (
    client_id  uuid PRIMARY KEY REFERENCES client_data_keys ON DELETE CASCADE,
    bapas_code text NOT NULL,
    nik_digest bytea NOT NULL,
    sealed     bytea NOT NULL,
    UNIQUE (bapas_code, nik_digest)
);
