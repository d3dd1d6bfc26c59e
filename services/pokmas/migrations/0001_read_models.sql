-- The pokmas service's read models. The first three follow the service's own events
-- and are written in the command's transaction (a GET right after the 201 sees the
-- change); programme_seats follows the enrolment service's events through the
-- projection consumer "pokmas.programme_seats".

CREATE TABLE pokmas (
    pokmas_id           uuid    PRIMARY KEY,
    bapas_code          text    NOT NULL,
    name                text    NOT NULL,
    kind                text    NOT NULL,
    registration_number text,
    contact_name        text    NOT NULL,
    contact_phone       text    NOT NULL,
    contact_email       text    NOT NULL,
    address             text    NOT NULL,
    skills              text[]  NOT NULL,
    version             integer NOT NULL
);
CREATE INDEX pokmas_by_bapas ON pokmas (bapas_code, name, pokmas_id);

CREATE TABLE mous (
    mou_id             uuid    PRIMARY KEY,
    bapas_code         text    NOT NULL,
    pokmas_id          uuid    NOT NULL,
    number             text    NOT NULL,
    signed_on          date    NOT NULL,
    valid_from         date    NOT NULL,
    valid_until        date    NOT NULL,
    scope              text[]  NOT NULL,
    status             text    NOT NULL,
    renewed_on         date,
    terminated_on      date,
    termination_reason text,
    expired_on         date,
    version            integer NOT NULL
);
CREATE INDEX mous_by_bapas ON mous (bapas_code, valid_until, mou_id);
CREATE INDEX mous_by_pokmas ON mous (pokmas_id);
-- The daily expiry job looks for active MoUs whose validity has ended.
CREATE INDEX active_mous_by_end ON mous (valid_until) WHERE status = 'active';

CREATE TABLE programmes (
    programme_id     uuid    PRIMARY KEY,
    bapas_code       text    NOT NULL,
    pokmas_id        uuid    NOT NULL,
    mou_id           uuid    NOT NULL,
    skill            text    NOT NULL,
    title            text    NOT NULL,
    capacity         integer NOT NULL,
    starts_on        date    NOT NULL,
    ends_on          date    NOT NULL,
    sessions_planned integer NOT NULL,
    location         text    NOT NULL,
    status           text    NOT NULL,
    closed_on        date,
    closure_reason   text,
    version          integer NOT NULL
);
CREATE INDEX programmes_by_bapas ON programmes (bapas_code, starts_on, programme_id);
CREATE INDEX programmes_by_pokmas ON programmes (pokmas_id);

-- Seats taken per programme as rule 2 counts them: every enrolment not withdrawn
-- (ClientEnrolled +1, TrainingWithdrawn -1). Keyed by programme alone, so it does not
-- matter whether an enrolment event or the ProgrammeOpened row comes first.
CREATE TABLE programme_seats (
    programme_id uuid    PRIMARY KEY,
    enrolled     integer NOT NULL
);
