-- The event store and its transactional outbox (every service has both).
-- A duplicate (aggregate_id, aggregate_version) is an optimistic-concurrency conflict.
CREATE TABLE events (
    aggregate_id      uuid        NOT NULL,
    aggregate_version integer     NOT NULL CHECK (aggregate_version >= 1),
    aggregate_type    text        NOT NULL,
    event_id          uuid        NOT NULL UNIQUE,
    event_type        text        NOT NULL,
    schema_version    integer     NOT NULL,
    bapas_code        text        NOT NULL,
    recorded_at       timestamptz NOT NULL,
    envelope          json        NOT NULL,
    PRIMARY KEY (aggregate_id, aggregate_version)
);

-- Rows wait here until the relay has published them (in position order), then are
-- deleted. An event's row gets its position after every event it was decided on had
-- committed, so the events of one aggregate, and an event and the events it caused,
-- are published in order.
CREATE TABLE outbox (
    position       bigserial PRIMARY KEY,
    topic          text      NOT NULL,
    message_key    text      NOT NULL,
    event_id       uuid      NOT NULL,
    event_type     text      NOT NULL,
    schema_version integer   NOT NULL,
    value          bytea     NOT NULL
);
