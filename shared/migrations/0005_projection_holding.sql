-- What a projection holds back while a klien moves between offices.
--
-- Topics are keyed by office, so a klien's ClientTransferredOut (in the old office's
-- partition) and its ClientTransferredIn with everything after it (in the new office's)
-- may be read in either order. The consumer holds the ClientTransferredIn, and every
-- later event naming the klien, until it has applied the ClientTransferredOut just
-- before it. These rows are written in the batch's transaction, which moves the offsets
-- past the messages: they are the only copy the projection keeps of them.
--
-- A held message is kept as it was read (topic, partition, offset, key, value, headers),
-- so that it is parsed, applied or dead-lettered later like any other message; in the
-- order it came (held_order), and in the queue it waits in: the klien's events held at
-- one office (client_id, bapas_code), behind the klien's ClientTransferredIn there.
CREATE TABLE projection_held_events (
    projection    text    NOT NULL,
    event_id      uuid    NOT NULL,
    held_order    bigint  GENERATED ALWAYS AS IDENTITY,
    client_id     uuid    NOT NULL,
    bapas_code    text    NOT NULL,
    topic         text    NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint  NOT NULL,
    message_key   bytea,
    value         bytea   NOT NULL,
    header_names  text[]  NOT NULL,
    header_values bytea[] NOT NULL,
    held_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, event_id)
);
CREATE INDEX projection_held_events_in_order ON projection_held_events (projection, held_order);

-- The ClientTransferredOut events a projection applied, by klien and version: the
-- ClientTransferredIn at the next version may be applied (now, or when a copy of it
-- comes again).
CREATE TABLE projection_departures (
    projection        text    NOT NULL,
    client_id         uuid    NOT NULL,
    aggregate_version integer NOT NULL,
    PRIMARY KEY (projection, client_id, aggregate_version)
);
