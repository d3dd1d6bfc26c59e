-- What a projection remembers beyond offsets and versions.
--
-- The identity of each topic it reads: a topic created anew under the same name, or a
-- cluster restored or migrated, starts its offsets again, and offsets recorded for the
-- old topic would skip the new one's events. The consumer compares the topic's id
-- (and the cluster's) with these rows and stops applying when they differ.
CREATE TABLE projection_topics (
    projection  text NOT NULL,
    topic       text NOT NULL,
    cluster_id  text NOT NULL,
    topic_id    uuid NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic)
);

-- The messages the projection sent to the dead letters, by where they were read. A
-- replay of one (re-published once its cause is fixed) is applied once: the row is
-- deleted in the transaction that applies it, so a second replay is a duplicate.
CREATE TABLE projection_dead_letters (
    projection       text        NOT NULL,
    topic            text        NOT NULL,
    partition        integer     NOT NULL,
    "offset"         bigint      NOT NULL,
    event_id         uuid,
    reason           text        NOT NULL,
    dead_lettered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition, "offset")
);
