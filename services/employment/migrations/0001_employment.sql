-- The employment service's own tables.

-- Read models of the service's own aggregates, written with their events (a GET right
-- after the 201 sees the change). A rebuild empties these three tables and replays
-- the event store.
CREATE TABLE employers (
    employer_id   uuid    PRIMARY KEY,
    bapas_code    text    NOT NULL,
    name          text    NOT NULL,
    sector        text    NOT NULL,
    address       text    NOT NULL,
    contact_name  text    NOT NULL,
    contact_phone text    NOT NULL,
    contact_email text    NOT NULL,
    skills        text[]  NOT NULL,
    pledged_on    date,
    version       integer NOT NULL
);
CREATE INDEX employers_by_bapas ON employers (bapas_code, name, employer_id);

-- placed: the placements taken from the vacancy (ClientPlaced naming it); the one
-- that takes its last position turns it 'filled'.
CREATE TABLE vacancies (
    vacancy_id     uuid    PRIMARY KEY,
    employer_id    uuid    NOT NULL,
    bapas_code     text    NOT NULL,
    title          text    NOT NULL,
    skill          text    NOT NULL,
    positions      integer NOT NULL,
    placed         integer NOT NULL DEFAULT 0,
    opens_on       date    NOT NULL,
    closes_on      date    NOT NULL,
    status         text    NOT NULL,
    closed_on      date,
    closure_reason text,
    version        integer NOT NULL
);
CREATE INDEX vacancies_by_bapas ON vacancies (bapas_code, opens_on, vacancy_id);
CREATE INDEX vacancies_by_employer ON vacancies (employer_id);

CREATE TABLE placements (
    placement_id          uuid    PRIMARY KEY,
    bapas_code            text    NOT NULL,
    client_id             uuid    NOT NULL,
    employer_id           uuid    NOT NULL,
    vacancy_id            uuid,
    started_on            date    NOT NULL,
    kind                  text    NOT NULL,
    skill                 text,
    status                text    NOT NULL,
    six_weeks_checked_on  date,
    six_weeks_employed    boolean,
    six_months_checked_on date,
    six_months_employed   boolean,
    ended_on              date,
    end_reason            text,
    version               integer NOT NULL
);
CREATE INDEX placements_by_bapas ON placements (bapas_code, started_on, placement_id);
CREATE INDEX placements_by_employer ON placements (employer_id);
-- One open placement per klien: the command checks it under the klien's lock, and this
-- index refuses a second one should anything slip past.
CREATE UNIQUE INDEX placements_open_per_client ON placements (client_id) WHERE status = 'active';
CREATE INDEX placements_by_client ON placements (client_id);

-- Projection of enrolment.events.v1 and pokmas.events.v1 (employment.klien): the klien
-- a placement may take and the trainings that make them candidates. A rebuild empties
-- these three tables only.
CREATE TABLE clients (
    client_id            uuid PRIMARY KEY,
    bapas_code           text NOT NULL,
    register_number      text NOT NULL,
    released_on          date NOT NULL,
    status               text NOT NULL,
    supervision_ended_on date
);
CREATE INDEX clients_by_bapas ON clients (bapas_code, register_number, client_id);

CREATE TABLE completions (
    enrolment_id uuid PRIMARY KEY,
    client_id    uuid NOT NULL,
    programme_id uuid NOT NULL,
    assessment   text NOT NULL,
    completed_on date NOT NULL
);
CREATE INDEX completions_by_client ON completions (client_id);

CREATE TABLE programme_skills (
    programme_id uuid PRIMARY KEY,
    skill        text NOT NULL
);
