-- The employment service's share of the recipient directory, projected from its
-- events: employers by name (the messages name them), and placements, for the
-- retention check reminders. No personal data of the klien: a placement names the
-- klien by client_id, whose PK officer is in clients.

CREATE TABLE employers (
    employer_id uuid PRIMARY KEY,
    bapas_code  text NOT NULL,
    name        text NOT NULL
);

-- placed_event_id: the ClientPlaced the reminders name as their cause. checked: the
-- retention checks recorded (PlacementChecked's milestone); active until PlacementEnded.
CREATE TABLE placements (
    placement_id    uuid PRIMARY KEY,
    bapas_code      text    NOT NULL,
    client_id       uuid    NOT NULL,
    employer_id     uuid    NOT NULL,
    kind            text    NOT NULL,
    started_on      date    NOT NULL,
    placed_event_id uuid    NOT NULL,
    checked         text[]  NOT NULL DEFAULT '{}',
    active          boolean NOT NULL DEFAULT true
);
CREATE INDEX placements_active ON placements (bapas_code, started_on) WHERE active;
