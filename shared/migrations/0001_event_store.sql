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

-- Rows wait here until the relay has published them, then are deleted. Appends of
-- one key take a transaction advisory lock on it before their rows get positions, so
-- positions of one key follow commit order and the relay publishes them in that order.
CREATE TABLE outbox (
    position       bigserial PRIMARY KEY,
    topic          text      NOT NULL,
    message_key    text      NOT NULL,
    event_id       uuid      NOT NULL,
    event_type     text      NOT NULL,
    schema_version integer   NOT NULL,
    value          bytea     NOT NULL
);
