-- Where each projection stands: the next Kafka offset to apply per topic and
-- partition, written in the same transaction as the projection's changes, so the
-- Kafka commit is only a hint. Versions per aggregate make a duplicate event (the same
-- event published twice) a no-op too.
CREATE TABLE projection_offsets (
    projection  text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (projection, topic, partition)
);

CREATE TABLE projection_versions (
    projection        text    NOT NULL,
    aggregate_id      uuid    NOT NULL,
    aggregate_version integer NOT NULL,
    PRIMARY KEY (projection, aggregate_id)
);
