-- The recipient directory: what the notifications service knows of other services'
-- entities, projected from their events (it never asks their APIs). Emptied and
-- refilled by a projection rebuild.
CREATE TABLE pokmas (
    pokmas_id     uuid PRIMARY KEY,
    bapas_code    text NOT NULL,
    name          text NOT NULL,
    contact_name  text NOT NULL,
    contact_email text NOT NULL,
    contact_phone text NOT NULL
);

-- term_event_*: the event that set valid_until (MoUSigned or the last MoURenewed); the
-- expiry reminders name it as their cause, so a renewed MoU is reminded of again.
CREATE TABLE mous (
    mou_id          uuid PRIMARY KEY,
    bapas_code      text NOT NULL,
    pokmas_id       uuid NOT NULL,
    number          text NOT NULL,
    valid_until     date NOT NULL,
    term_event_id   uuid NOT NULL,
    term_event_type text NOT NULL,
    status          text NOT NULL CHECK (status IN ('active', 'terminated', 'expired'))
);
CREATE INDEX mous_expiring ON mous (valid_until) WHERE status = 'active';

CREATE TABLE programmes (
    programme_id uuid PRIMARY KEY,
    bapas_code   text NOT NULL,
    pokmas_id    uuid NOT NULL,
    title        text NOT NULL,
    skill        text NOT NULL
);

-- The PK officer's work contact comes from ClientReleased; no personal data of the klien.
CREATE TABLE clients (
    client_id           uuid PRIMARY KEY,
    bapas_code          text NOT NULL,
    register_number     text NOT NULL,
    integration_type    text NOT NULL,
    supervision_ends_on date NOT NULL,
    release_event_id    uuid NOT NULL,
    under_supervision   boolean NOT NULL,
    officer_id          text NOT NULL,
    officer_name        text NOT NULL,
    officer_email       text,
    officer_phone       text
);
CREATE INDEX clients_supervision_ending ON clients (supervision_ends_on) WHERE under_supervision;

CREATE TABLE enrolments (
    enrolment_id uuid PRIMARY KEY,
    client_id    uuid NOT NULL,
    programme_id uuid NOT NULL,
    pokmas_id    uuid NOT NULL
);

-- Webhook subscriptions. The secret signs deliveries and is never shown again. A
-- deleted subscription is kept (deleted_at) because its deliveries refer to it.
CREATE TABLE subscriptions (
    subscription_id uuid PRIMARY KEY,
    url             text        NOT NULL,
    secret          text        NOT NULL,
    event_types     text[]      NOT NULL,
    bapas_codes     text[],
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX subscriptions_listing ON subscriptions (created_at, subscription_id)
    WHERE deleted_at IS NULL;

-- One row per (cause, recipient, channel), written before anything is sent: the unique
-- key is what makes a redelivered event, a replay or a second instance send nothing new.
-- cause_event_id is the announced event, or for a reminder the event that set the date
-- (reminder is '' for an announced event). The worker claims due rows with
-- FOR UPDATE SKIP LOCKED and records the outcome in status.
CREATE TABLE deliveries (
    notification_id  uuid PRIMARY KEY,
    cause_event_id   uuid        NOT NULL,
    cause_event_type text        NOT NULL,
    reminder         text        NOT NULL DEFAULT '',
    correlation_id   uuid        NOT NULL,
    bapas_code       text        NOT NULL,
    recipient_kind   text        NOT NULL,
    recipient_key    text        NOT NULL,
    channel          text        NOT NULL CHECK (channel IN ('email', 'webhook', 'sms')),
    address          text        NOT NULL,
    subscription_id  uuid REFERENCES subscriptions,
    template         text        NOT NULL,
    subject          text,
    body             text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    settled_at       timestamptz,
    UNIQUE (cause_event_id, reminder, recipient_kind, recipient_key, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_history ON deliveries (created_at DESC, notification_id DESC);
CREATE INDEX deliveries_by_cause ON deliveries (cause_event_id);
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id) WHERE status = 'pending';
